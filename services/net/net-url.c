/* SPDX-License-Identifier: MIT */
/* Checking a request's URL and adding its `query` object, with curl's own URL parser. */
#include "services/net/net-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cb-json.h"

/* A query value as text: strings as they are, numbers and booleans in their JSON form. */
static char *value_text(json_t *v)
{
    if (json_is_string(v)) {
        return strdup(json_string_value(v));
    }
    if (json_is_true(v) || json_is_false(v)) {
        return strdup(json_is_true(v) ? "1" : "0");
    }
    if (json_is_null(v)) {
        return strdup("");
    }
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

static int append_pair(CURLU *u, const char *key, json_t *v)
{
    CB_CLEANUP(cb_freep) char *text = value_text(v);
    CB_CLEANUP(cb_freep) char *pair = NULL;

    if (!text || asprintf(&pair, "%s=%s", key, text) < 0) {
        return -1;
    }
    /* URLENCODE escapes the value's '&', '=' and non-ASCII bytes (the first '=' stays). */
    return curl_url_set(u, CURLUPART_QUERY, pair, CURLU_APPENDQUERY | CURLU_URLENCODE) == CURLUE_OK
                   ? 0
                   : -1;
}

static int append_query(CURLU *u, json_t *query, struct cb_error *err)
{
    const char *key;
    json_t *v, *item;
    size_t i;

    json_object_foreach(query, key, v)
    {
        if (json_is_object(v)) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'query': the value of '%s' must not be an object", key);
        }
        /* An array repeats its key, as URI::query_form does. */
        if (json_is_array(v)) {
            json_array_foreach(v, i, item)
            {
                if (append_pair(u, key, item) < 0) {
                    return cb_error_set(err, CB_E_INVALID_PARAM,
                                        "parameter 'query': '%s' cannot be encoded", key);
                }
            }
        } else if (append_pair(u, key, v) < 0) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'query': '%s' cannot be encoded", key);
        }
    }
    return 0;
}

static const char *url_reason(CURLUcode uc)
{
#if LIBCURL_VERSION_NUM >= 0x075000
    return curl_url_strerror(uc);
#else
    /* RHEL 9's curl 7.76 has no curl_url_strerror. */
    return uc == CURLUE_MALFORMED_INPUT ? "malformed input" : "rejected by the URL parser";
#endif
}

int net_url_build(const char *url, json_t *query, char **ret, struct cb_error *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *out = NULL;
    CURLUcode uc;
    int r = 0;

    if (!u) {
        return cb_error_set(err, CB_E_INTERNAL, "out of memory");
    }
    uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK) {
        curl_url_cleanup(u);
        return cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'url' is not a valid URL (%s)",
                            url_reason(uc));
    }
    (void)curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (!scheme || (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
        r = cb_error_set(err, CB_E_INVALID_PARAM,
                         "parameter 'url' must be an http or https URL, not '%s'",
                         scheme ? scheme : "");
    }
    if (r >= 0 && query) {
        r = append_query(u, query, err);
    }
    if (r >= 0 && curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK) {
        r = cb_error_set(err, CB_E_INVALID_PARAM, "parameter 'url' is not a valid URL");
    }
    if (r >= 0) {
        *ret = strdup(out);
        if (!*ret) {
            r = cb_error_set(err, CB_E_INTERNAL, "out of memory");
        }
    }
    curl_free(out);
    curl_free(scheme);
    curl_url_cleanup(u);
    return r;
}
