/* SPDX-License-Identifier: MIT */
/*
 * The xml family's rules that need no suite: XML::Simple's space and variable handling, its
 * escaping, Perl's number text, and the parser's refusals (entity loops, external entities,
 * malformed input with its line and column).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "services/xml/xml-internal.h"

static void assert_normalised(const char *in, const char *want)
{
    char *got = xml_normalise_space(in);

    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(test_normalise_space_as_xml_simple)
{
    assert_normalised("  a  b\t\tc  ", "a b c");
    /* A lone space character between words stays what it was: s/\s\s+/ /g. */
    assert_normalised("a\tb\nc", "a\tb\nc");
    assert_normalised("\xc2\xa0x\xe3\x80\x80\xe3\x80\x80y ", "x y");
    assert_normalised("   ", "");
    ck_assert(xml_all_space(" \t\r\n\xe2\x80\xa8"));
    ck_assert(!xml_all_space(" x "));
}
END_TEST

START_TEST(test_variables)
{
    json_t *vars = json_pack("{ss ss}", "dir", "/srv", "a.b", "dotted");
    char *got;

    got = xml_expand_vars("${dir}/x ${a.b} ${none} $dir ${", vars, true);
    ck_assert_str_eq(got, "/srv/x dotted ${none} $dir ${");
    free(got);
    /* In text, names have no dots. */
    got = xml_expand_vars("${a.b}", vars, false);
    ck_assert_str_eq(got, "${a.b}");
    free(got);
    json_decref(vars);
}
END_TEST

static void assert_escaped(const char *in, int numeric, const char *want)
{
    struct cb_buf b = { 0 };

    ck_assert_int_eq(xml_escape_append(&b, in, strlen(in), numeric), 0);
    ck_assert_int_eq(cb_buf_append(&b, "", 1), 0);
    ck_assert_str_eq(b.data, want);
    cb_buf_free(&b);
}

START_TEST(test_escaping)
{
    assert_escaped("a<b>&\"c'", 0, "a&lt;b&gt;&amp;&quot;c'");
    assert_escaped("é東", 0, "é東");
    assert_escaped("é東", 1, "é&#26481;");
    assert_escaped("é東🎉", 2, "&#233;&#26481;&#127881;");
}
END_TEST

START_TEST(test_perl_numbers)
{
    char buf[64];
    json_t *v;

    v = json_real(0.1 + 0.2);
    ck_assert_str_eq(xml_perl_string(v, buf), "0.3");
    json_decref(v);
    v = json_integer(-42);
    ck_assert_str_eq(xml_perl_string(v, buf), "-42");
    json_decref(v);
    for (size_t i = 0; i < 3; i++) {
        static const char *const text[] = { "0", "", "0.0" };

        v = json_string(text[i]);
        /* Perl: "0" and "" are false, "0.0" is true. */
        ck_assert(xml_perl_true(v) == (i == 2));
        json_decref(v);
    }
}
END_TEST

static char *parse_error(const char *xml)
{
    struct cb_error err = CB_ERROR_INIT;
    xmlDocPtr doc = NULL;
    char *msg;

    ck_assert_int_lt(xml_parse_memory(xml, strlen(xml), &doc, &err), 0);
    ck_assert_ptr_null(doc);
    ck_assert_int_eq(err.code, CB_E_INVALID_PARAM);
    msg = strdup(err.message);
    cb_error_clear(&err);
    return msg;
}

START_TEST(test_parser_refusals)
{
    char lol[4096] = "<!DOCTYPE l [<!ENTITY l0 \"lol\">";
    char *msg;

    for (int i = 1; i < 10; i++) {
        char decl[256];
        int o = snprintf(decl, sizeof decl, "<!ENTITY l%d \"", i);

        for (int j = 0; j < 10; j++) {
            o += snprintf(decl + o, sizeof decl - (size_t)o, "&l%d;", i - 1);
        }
        snprintf(decl + o, sizeof decl - (size_t)o, "\">");
        strcat(lol, decl);
    }
    strcat(lol, "]><l>&l9;</l>");
    msg = parse_error(lol);
    ck_assert_ptr_nonnull(strstr(msg, "expand past the bound"));
    free(msg);

    msg = parse_error("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>");
    ck_assert_ptr_nonnull(strstr(msg, "file:///etc/passwd"));
    ck_assert_ptr_nonnull(strstr(msg, "never loaded"));
    free(msg);

    msg = parse_error("<a>\n  <b></a>");
    ck_assert_ptr_nonnull(strstr(msg, "line 2, column"));
    free(msg);

    msg = parse_error("<a>&nbsp;</a>");
    ck_assert_ptr_nonnull(strstr(msg, "'nbsp' is not declared"));
    free(msg);
}
END_TEST

START_TEST(test_external_dtd_is_not_fetched)
{
    const char *xml = "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
                      "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\"><html>x</html>";
    struct cb_error err = CB_ERROR_INIT;
    xmlDocPtr doc = NULL;

    ck_assert_int_eq(xml_parse_memory(xml, strlen(xml), &doc, &err), 0);
    ck_assert_ptr_nonnull(doc);
    xmlFreeDoc(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xml-rules");
    TCase *tc = tcase_create("rules");
    SRunner *sr;
    int failed;

    xml_parse_init();
    tcase_add_test(tc, test_normalise_space_as_xml_simple);
    tcase_add_test(tc, test_variables);
    tcase_add_test(tc, test_escaping);
    tcase_add_test(tc, test_perl_numbers);
    tcase_add_test(tc, test_parser_refusals);
    tcase_add_test(tc, test_external_dtd_is_not_fetched);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    xmlCleanupParser();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
