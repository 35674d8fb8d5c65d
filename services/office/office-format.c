/* SPDX-License-Identifier: MIT */
/* Cell formats from add_format's properties. */
#include "services/office/office-internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cb-json.h"

static int color_of(json_t *v, lxw_color_t *ret)
{
    static const struct {
        const char *name;
        lxw_color_t rgb;
    } names[] = {
        { "black", 0x000000 },  { "blue", 0x0000FF },    { "brown", 0x800000 },
        { "cyan", 0x00FFFF },   { "gray", 0x808080 },    { "green", 0x008000 },
        { "lime", 0x00FF00 },   { "magenta", 0xFF00FF }, { "navy", 0x000080 },
        { "orange", 0xFF6600 }, { "pink", 0xFF00FF },    { "purple", 0x800080 },
        { "red", 0xFF0000 },    { "silver", 0xC0C0C0 },  { "white", 0xFFFFFF },
        { "yellow", 0xFFFF00 },
    };
    const char *s = json_string_value(v);
    char *end;

    if (json_is_integer(v)) {
        *ret = (lxw_color_t)json_integer_value(v);
        return 0;
    }
    if (!s) {
        return -1;
    }
    if (s[0] == '#') {
        unsigned long rgb = strtoul(s + 1, &end, 16);

        if (strlen(s) != 7 || *end) {
            return -1;
        }
        *ret = (lxw_color_t)rgb;
        return 0;
    }
    for (size_t i = 0; i < CB_ELEMENTSOF(names); i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *ret = names[i].rgb;
            return 0;
        }
    }
    return -1;
}

static int align_of(const char *s, uint8_t *ret)
{
    static const struct {
        const char *name;
        uint8_t value;
    } names[] = {
        { "left", LXW_ALIGN_LEFT },
        { "center", LXW_ALIGN_CENTER },
        { "centre", LXW_ALIGN_CENTER },
        { "right", LXW_ALIGN_RIGHT },
        { "fill", LXW_ALIGN_FILL },
        { "justify", LXW_ALIGN_JUSTIFY },
        { "center_across", LXW_ALIGN_CENTER_ACROSS },
        { "distributed", LXW_ALIGN_DISTRIBUTED },
        { "top", LXW_ALIGN_VERTICAL_TOP },
        { "bottom", LXW_ALIGN_VERTICAL_BOTTOM },
        { "vcenter", LXW_ALIGN_VERTICAL_CENTER },
        { "vjustify", LXW_ALIGN_VERTICAL_JUSTIFY },
    };

    for (size_t i = 0; s && i < CB_ELEMENTSOF(names); i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *ret = names[i].value;
            return 0;
        }
    }
    return -1;
}

static bool truthy(json_t *v)
{
    return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0) ||
           (json_is_string(v) && strcmp(json_string_value(v), "") != 0 &&
            strcmp(json_string_value(v), "0") != 0);
}

int office_format_apply(lxw_format *f, const char *property, json_t *value, struct cb_error *err)
{
    lxw_color_t color;
    uint8_t align;

    if (strcmp(property, "bold") == 0) {
        if (truthy(value)) {
            format_set_bold(f);
        }
    } else if (strcmp(property, "italic") == 0) {
        if (truthy(value)) {
            format_set_italic(f);
        }
    } else if (strcmp(property, "underline") == 0) {
        if (truthy(value)) {
            format_set_underline(f, json_is_integer(value) && json_integer_value(value) == 2
                                            ? LXW_UNDERLINE_DOUBLE
                                            : LXW_UNDERLINE_SINGLE);
        }
    } else if (strcmp(property, "text_wrap") == 0) {
        if (truthy(value)) {
            format_set_text_wrap(f);
        }
    } else if (strcmp(property, "font_name") == 0 && json_is_string(value)) {
        format_set_font_name(f, json_string_value(value));
    } else if (strcmp(property, "font_size") == 0 && json_is_number(value)) {
        format_set_font_size(f, json_number_value(value));
    } else if ((strcmp(property, "font_color") == 0 || strcmp(property, "color") == 0) &&
               color_of(value, &color) == 0) {
        format_set_font_color(f, color);
    } else if (strcmp(property, "bg_color") == 0 && color_of(value, &color) == 0) {
        /* Excel shows a background only with a fill pattern; Excel::Writer::XLSX adds it too. */
        format_set_pattern(f, LXW_PATTERN_SOLID);
        format_set_bg_color(f, color);
    } else if (strcmp(property, "border") == 0 && json_is_integer(value) &&
               json_integer_value(value) >= 0 && json_integer_value(value) <= 13) {
        format_set_border(f, (uint8_t)json_integer_value(value));
    } else if ((strcmp(property, "align") == 0 || strcmp(property, "valign") == 0) &&
               align_of(json_string_value(value), &align) == 0) {
        format_set_align(f, align);
    } else if (strcmp(property, "num_format") == 0 && json_is_string(value)) {
        format_set_num_format(f, json_string_value(value));
    } else {
        return cb_error_set(err, CB_E_INVALID_PARAM,
                            "format property '%s' is unknown or its value is not one it takes",
                            property);
    }
    return 0;
}

int office_format_new(struct office_book *b,
                      json_t *properties,
                      lxw_format **ret,
                      struct cb_error *err)
{
    lxw_format *f = workbook_add_format(b->wb);
    const char *key;
    json_t *v;
    int r;

    if (!f) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    json_object_foreach(properties, key, v)
    {
        r = office_format_apply(f, key, v, err);
        if (r < 0) {
            return r;
        }
    }
    *ret = f;
    return 0;
}
