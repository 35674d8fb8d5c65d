/* SPDX-License-Identifier: MIT */
/*
 * The catalogue's entries. API.md is the human-readable form of this table; a function is
 * added here in the same commit as its handler. Module test belongs to family core; module
 * system is answered by the router (and by one-shot mode for its stateless functions).
 */
#include "common/cb-catalogue-internal.h"

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct cb_param sleep_params[] = {
    { .name = "ms",
      .type = CB_TYPE_INT,
      .required = true,
      .has_range = true,
      .min = 0,
      .max = 3600000 },
};

static const struct cb_param error_params[] = {
    { .name = "code", .type = CB_TYPE_TEXT, .default_json = "\"E_BACKEND\"" },
    { .name = "message", .type = CB_TYPE_TEXT, .default_json = "\"error requested by test.error\"" },
};

static const struct cb_param held_params[] = {
    { .name = "handle_id", .type = CB_TYPE_TEXT, .required = true },
};

static const struct cb_param release_params[] = {
    { .name = "handle_id", .type = CB_TYPE_HANDLE, .required = true, .handle_kind = "test_handle" },
};

static const struct cb_function test_functions[] = {
    { .name = "ping", .open_params = true, .idempotent = true, .mode = CB_MODE_STATELESS },
    { .name = "echo", .open_params = true, .idempotent = true, .mode = CB_MODE_STATELESS },
    { .name = "sleep",
      .params = sleep_params,
      .n_params = CB_ELEMENTSOF(sleep_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
    { .name = "spin",
      .params = sleep_params,
      .n_params = CB_ELEMENTSOF(sleep_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
    { .name = "error",
      .params = error_params,
      .n_params = CB_ELEMENTSOF(error_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
    { .name = "hold", .mode = CB_MODE_DAEMON_ONLY, .creates = "test_handle" },
    { .name = "held",
      .params = held_params,
      .n_params = CB_ELEMENTSOF(held_params),
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY },
    { .name = "release",
      .params = release_params,
      .n_params = CB_ELEMENTSOF(release_params),
      .mode = CB_MODE_DAEMON_ONLY,
      .uses = NAMES("test_handle"),
      .ends = "test_handle" },
    { .name = "counter", .mode = CB_MODE_DAEMON_ONLY },
    { .name = "stats",
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY,
      .answered_by = "router",
      .alias_of = "system.stats" },
    { .name = "health",
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY,
      .answered_by = "router",
      .alias_of = "system.health" },
};

static const struct cb_param catalogue_params[] = {
    { .name = "module", .type = CB_TYPE_TEXT },
};

static const struct cb_param connections_params[] = {
    { .name = "uid", .type = CB_TYPE_INT, .has_range = true, .min = 0, .max = 4294967294LL },
    { .name = "session", .type = CB_TYPE_TEXT },
};

static const struct cb_param cleanup_params[] = {
    { .name = "idle_seconds",
      .type = CB_TYPE_INT,
      .default_json = "300",
      .has_range = true,
      .min = 0,
      .max = 31536000 },
    { .name = "uid", .type = CB_TYPE_INT, .has_range = true, .min = 0, .max = 4294967294LL },
    { .name = "session", .type = CB_TYPE_TEXT },
};

static const struct cb_param channel_params[] = {
    { .name = "module", .type = CB_TYPE_TEXT, .required = true },
};

static const struct cb_function system_functions[] = {
    { .name = "ping", .idempotent = true, .mode = CB_MODE_STATELESS, .answered_by = "router" },
    { .name = "info", .idempotent = true, .mode = CB_MODE_STATELESS, .answered_by = "router" },
    { .name = "stats", .idempotent = true, .mode = CB_MODE_DAEMON_ONLY, .answered_by = "router" },
    { .name = "health", .idempotent = true, .mode = CB_MODE_DAEMON_ONLY, .answered_by = "router" },
    { .name = "metrics", .idempotent = true, .mode = CB_MODE_DAEMON_ONLY, .answered_by = "router" },
    { .name = "performance",
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY,
      .answered_by = "router" },
    { .name = "connections",
      .params = connections_params,
      .n_params = CB_ELEMENTSOF(connections_params),
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY,
      .answered_by = "router" },
    { .name = "cleanup",
      .params = cleanup_params,
      .n_params = CB_ELEMENTSOF(cleanup_params),
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY,
      .answered_by = "router",
      .ends = "sessions" },
    { .name = "shutdown", .mode = CB_MODE_DAEMON_ONLY, .answered_by = "router" },
    /* Hands this connection to the caller's instance of the module's family (DESIGN.md). */
    { .name = "channel",
      .params = channel_params,
      .n_params = CB_ELEMENTSOF(channel_params),
      .idempotent = true,
      .mode = CB_MODE_DAEMON_ONLY,
      .answered_by = "router" },
    { .name = "catalogue",
      .params = catalogue_params,
      .n_params = CB_ELEMENTSOF(catalogue_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS,
      .answered_by = "router" },
};

/* Module database (family db): API.md section 4. */
#define DB_CONNECTION_ID                                                             \
    {                                                                                \
        .name = "connection_id", .type = CB_TYPE_HANDLE, .handle_kind = "connection" \
    }
#define DB_STATEMENT_ID                                                            \
    {                                                                              \
        .name = "statement_id", .type = CB_TYPE_HANDLE, .handle_kind = "statement" \
    }
#define DB_FORMAT                                                           \
    {                                                                       \
        .name = "format", .type = CB_TYPE_ENUM, .default_json = "\"hash\"", \
        .enum_values = NAMES("hash", "array")                               \
    }
#define DB_MAX_ROWS                                                                          \
    {                                                                                        \
        .name = "max_rows", .type = CB_TYPE_INT, .default_json = "10000", .has_range = true, \
        .min = 1, .max = 1000000                                                             \
    }
#define DB_BIND_VALUES                                               \
    {                                                                \
        .name = "params", .type = CB_TYPE_ARR, .default_json = "[]", \
        .aliases = NAMES("bind_values")                              \
    }

static const struct cb_param db_connect_params[] = {
    { .name = "dsn", .type = CB_TYPE_DSN, .required = true },
    { .name = "username", .type = CB_TYPE_TEXT, .default_json = "\"\"", .aliases = NAMES("user") },
    { .name = "password", .type = CB_TYPE_SECRET, .default_json = "\"\"" },
    { .name = "options", .type = CB_TYPE_OBJ, .default_json = "{}" },
    { .name = "db_type", .type = CB_TYPE_TEXT },
    { .name = "auth_mode",
      .type = CB_TYPE_ENUM,
      .default_json = "\"auto\"",
      .enum_values = NAMES("auto", "password", "kerberos") },
};

static const struct cb_param db_connection_params[] = {
    DB_CONNECTION_ID,
};

static const struct cb_param db_prepare_params[] = {
    { .name = "sql", .type = CB_TYPE_SQL, .required = true },
    DB_CONNECTION_ID,
};

static const struct cb_param db_execute_statement_params[] = {
    { .name = "sql", .type = CB_TYPE_SQL },
    DB_BIND_VALUES,
    DB_STATEMENT_ID,
    DB_CONNECTION_ID,
};

static const struct cb_param db_fetch_row_params[] = {
    DB_STATEMENT_ID,
    DB_CONNECTION_ID,
    DB_FORMAT,
};

static const struct cb_param db_fetch_all_params[] = {
    DB_STATEMENT_ID,
    DB_CONNECTION_ID,
    DB_FORMAT,
    DB_MAX_ROWS,
};

static const struct cb_param db_statement_params[] = {
    DB_STATEMENT_ID,
    DB_CONNECTION_ID,
};

static const struct cb_param db_execute_immediate_params[] = {
    { .name = "sql", .type = CB_TYPE_SQL, .required = true },
    DB_BIND_VALUES,
    DB_CONNECTION_ID,
    DB_FORMAT,
    DB_MAX_ROWS,
};

static const struct cb_param db_execute_many_params[] = {
    { .name = "sql", .type = CB_TYPE_SQL, .required = true },
    { .name = "rows", .type = CB_TYPE_ARR, .required = true },
    DB_CONNECTION_ID,
};

static const struct cb_param db_list_tables_params[] = {
    { .name = "schema", .type = CB_TYPE_TEXT },
    DB_CONNECTION_ID,
};

static const struct cb_param db_list_columns_params[] = {
    { .name = "table", .type = CB_TYPE_TEXT, .required = true },
    { .name = "schema", .type = CB_TYPE_TEXT },
    DB_CONNECTION_ID,
};

#define DB_PARAMS(a) .params = (a), .n_params = CB_ELEMENTSOF(a)

static const struct cb_function database_functions[] = {
    { .name = "connect",
      DB_PARAMS(db_connect_params),
      .mode = CB_MODE_REBUILDABLE,
      .creates = "connection" },
    { .name = "connect_cached",
      DB_PARAMS(db_connect_params),
      .mode = CB_MODE_REBUILDABLE,
      .creates = "connection" },
    { .name = "disconnect",
      DB_PARAMS(db_connection_params),
      .mode = CB_MODE_STATELESS,
      .uses = NAMES("connection"),
      .ends = "connection" },
    { .name = "ping",
      DB_PARAMS(db_connection_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("connection") },
    { .name = "prepare",
      DB_PARAMS(db_prepare_params),
      .mode = CB_MODE_REBUILDABLE,
      .creates = "statement",
      .uses = NAMES("connection") },
    { .name = "execute_statement",
      DB_PARAMS(db_execute_statement_params),
      .mode = CB_MODE_REBUILDABLE,
      .creates = "statement",
      .uses = NAMES("connection", "statement") },
    { .name = "fetch_row",
      DB_PARAMS(db_fetch_row_params),
      .mode = CB_MODE_DAEMON_ONLY,
      .uses = NAMES("statement") },
    { .name = "fetch_all",
      DB_PARAMS(db_fetch_all_params),
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("statement") },
    { .name = "finish_statement",
      DB_PARAMS(db_statement_params),
      .mode = CB_MODE_STATELESS,
      .uses = NAMES("statement"),
      .ends = "statement" },
    { .name = "execute_immediate",
      .aliases = NAMES("do_statement"),
      DB_PARAMS(db_execute_immediate_params),
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("connection") },
    { .name = "execute_many",
      DB_PARAMS(db_execute_many_params),
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("connection") },
    { .name = "begin_transaction",
      DB_PARAMS(db_connection_params),
      .mode = CB_MODE_DAEMON_ONLY,
      .uses = NAMES("connection") },
    { .name = "commit",
      DB_PARAMS(db_connection_params),
      .mode = CB_MODE_STATELESS,
      .uses = NAMES("connection") },
    { .name = "rollback",
      DB_PARAMS(db_connection_params),
      .mode = CB_MODE_STATELESS,
      .uses = NAMES("connection") },
    { .name = "get_connection_error",
      DB_PARAMS(db_connection_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("connection") },
    { .name = "get_statement_error",
      DB_PARAMS(db_statement_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("statement") },
    { .name = "list_tables",
      DB_PARAMS(db_list_tables_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("connection") },
    { .name = "list_columns",
      DB_PARAMS(db_list_columns_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("connection") },
};

/* Module http (family net): API.md section 5. */
#define HTTP_COMMON_PARAMS                                                                     \
    { .name = "url", .type = CB_TYPE_URL, .required = true },                                  \
            { .name = "headers", .type = CB_TYPE_OBJ, .default_json = "{}" },                  \
            { .name = "query", .type = CB_TYPE_OBJ },                                          \
            { .name = "timeout",                                                               \
              .type = CB_TYPE_NUM,                                                             \
              .default_json = "180",                                                           \
              .has_range = true,                                                               \
              .min = 0,                                                                        \
              .max = 86400 },                                                                  \
            { .name = "follow_redirects", .type = CB_TYPE_BOOL, .default_json = "true" },      \
            { .name = "max_redirects",                                                         \
              .type = CB_TYPE_INT,                                                             \
              .default_json = "7",                                                             \
              .has_range = true,                                                               \
              .min = 0,                                                                        \
              .max = 100 },                                                                    \
            { .name = "verify_ssl", .type = CB_TYPE_BOOL, .default_json = "true" },            \
            { .name = "ca_file", .type = CB_TYPE_PATH },                                       \
            { .name = "client_cert", .type = CB_TYPE_PATH },                                   \
            { .name = "client_key", .type = CB_TYPE_PATH },                                    \
            { .name = "auth", .type = CB_TYPE_OBJ }, { .name = "proxy", .type = CB_TYPE_URL }, \
    {                                                                                          \
        .name = "cookies", .type = CB_TYPE_BOOL, .default_json = "true"                        \
    }
#define HTTP_BODY_PARAMS                                                                    \
    { .name = "json", .type = CB_TYPE_DATA }, { .name = "content", .type = CB_TYPE_BYTES }, \
            { .name = "form", .type = CB_TYPE_OBJ },                                        \
            { .name = "multipart", .type = CB_TYPE_ARR, .item_paths = NAMES("file") },      \
    {                                                                                       \
        .name = "content_type", .type = CB_TYPE_TEXT                                        \
    }

static const struct cb_param http_get_params[] = { HTTP_COMMON_PARAMS };

static const struct cb_param http_post_params[] = { HTTP_COMMON_PARAMS, HTTP_BODY_PARAMS };

static const struct cb_param http_request_params[] = {
    HTTP_COMMON_PARAMS,
    HTTP_BODY_PARAMS,
    { .name = "method",
      .type = CB_TYPE_ENUM,
      .required = true,
      .enum_values = NAMES("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS") },
    { .name = "form_encoded_content", .type = CB_TYPE_DATA },
};

#define NET_PARAMS(a) .params = (a), .n_params = CB_ELEMENTSOF(a)

static const struct cb_function http_functions[] = {
    { .name = "get", NET_PARAMS(http_get_params), .idempotent = true, .mode = CB_MODE_STATELESS },
    { .name = "post", NET_PARAMS(http_post_params), .mode = CB_MODE_STATELESS },
    { .name = "put", NET_PARAMS(http_post_params), .mode = CB_MODE_STATELESS },
    { .name = "patch", NET_PARAMS(http_post_params), .mode = CB_MODE_STATELESS },
    { .name = "delete", NET_PARAMS(http_get_params), .mode = CB_MODE_STATELESS },
    { .name = "head", NET_PARAMS(http_get_params), .idempotent = true, .mode = CB_MODE_STATELESS },
    /* The method decides; the client checks it (API.md 1.4), the catalogue cannot. */
    { .name = "request",
      .aliases = NAMES("lwp_request"),
      NET_PARAMS(http_request_params),
      .mode = CB_MODE_STATELESS },
};

/* Module email_helper (family net): API.md section 11. */
#define SMTP_PARAMS                                                                                \
    { .name = "smtp_host", .type = CB_TYPE_HOST },                                                 \
            { .name = "smtp_port",                                                                 \
              .type = CB_TYPE_INT,                                                                 \
              .has_range = true,                                                                   \
              .min = 1,                                                                            \
              .max = 65535 },                                                                      \
            { .name = "tls",                                                                       \
              .type = CB_TYPE_ENUM,                                                                \
              .default_json = "\"auto\"",                                                          \
              .enum_values = NAMES("auto", "none", "starttls", "ssl") },                           \
            { .name = "verify_ssl", .type = CB_TYPE_BOOL, .default_json = "true" },                \
            { .name = "ca_file", .type = CB_TYPE_PATH },                                           \
    {                                                                                              \
        .name = "timeout", .type = CB_TYPE_NUM, .default_json = "30", .has_range = true, .min = 0, \
        .max = 3600                                                                                \
    }

static const struct cb_param email_send_params[] = {
    SMTP_PARAMS,
    { .name = "from", .type = CB_TYPE_EMAIL, .required = true, .aliases = NAMES("from_addr") },
    { .name = "to", .type = CB_TYPE_EMAIL, .required = true },
    { .name = "cc", .type = CB_TYPE_EMAIL },
    { .name = "bcc", .type = CB_TYPE_EMAIL },
    { .name = "reply_to", .type = CB_TYPE_EMAIL },
    { .name = "subject", .type = CB_TYPE_TEXT, .default_json = "\"\"" },
    { .name = "body", .type = CB_TYPE_DATA, .aliases = NAMES("msg") },
    { .name = "html_body", .type = CB_TYPE_DATA },
    { .name = "body_encoding",
      .type = CB_TYPE_ENUM,
      .default_json = "\"auto\"",
      .enum_values = NAMES("auto", "7bit", "8bit", "quoted-printable", "base64") },
    { .name = "multipart_type",
      .type = CB_TYPE_ENUM,
      .default_json = "\"mixed\"",
      .enum_values = NAMES("mixed", "related", "alternative") },
    { .name = "attachments", .type = CB_TYPE_ARR, .item_paths = NAMES("file") },
    { .name = "file", .type = CB_TYPE_PATH },
    { .name = "headers", .type = CB_TYPE_OBJ },
    { .name = "smtp_user", .type = CB_TYPE_TEXT },
    { .name = "smtp_password", .type = CB_TYPE_SECRET },
};

static const struct cb_param email_validate_params[] = {
    { .name = "address", .type = CB_TYPE_TEXT, .required = true },
};

static const struct cb_param email_test_params[] = { SMTP_PARAMS };

static const struct cb_function email_functions[] = {
    { .name = "send_email",
      .aliases = NAMES("send_html_email", "send_multipart", "send_simple", "send_with_file"),
      NET_PARAMS(email_send_params),
      .mode = CB_MODE_STATELESS },
    { .name = "validate_email", NET_PARAMS(email_validate_params), .mode = CB_MODE_STATELESS },
    { .name = "test_smtp_connection", NET_PARAMS(email_test_params), .mode = CB_MODE_STATELESS },
};

/* Module crypto (family crypto): API.md section 10. */
#define CRYPTO_KDF_PARAMS                                                              \
    { .name = "kdf",                                                                   \
      .type = CB_TYPE_ENUM,                                                            \
      .default_json = "\"md5\"",                                                       \
      .enum_values = NAMES("md5", "sha256", "pbkdf2") },                               \
            { .name = "iterations",                                                    \
              .type = CB_TYPE_INT,                                                     \
              .default_json = "10000",                                                 \
              .has_range = true,                                                       \
              .min = 1,                                                                \
              .max = 10000000 },                                                       \
            { .name = "digest",                                                        \
              .type = CB_TYPE_ENUM,                                                    \
              .default_json = "\"sha256\"",                                            \
              .enum_values = NAMES("sha256", "sha512", "sha1", "md5") },               \
    {                                                                                  \
        .name = "keysize", .type = CB_TYPE_INT, .has_range = true, .min = 1, .max = 56 \
    }
#define CRYPTO_CIPHER_ID                                                     \
    {                                                                        \
        .name = "cipher_id", .type = CB_TYPE_HANDLE, .handle_kind = "cipher" \
    }
#define CRYPTO_ENCODING                                                      \
    {                                                                        \
        .name = "encoding", .type = CB_TYPE_ENUM, .default_json = "\"hex\"", \
        .enum_values = NAMES("hex", "base64")                                \
    }

static const struct cb_param crypto_encrypt_params[] = {
    { .name = "data", .type = CB_TYPE_BYTES, .aliases = NAMES("plaintext") },
    { .name = "plaintext_hex", .type = CB_TYPE_TEXT },
    { .name = "key", .type = CB_TYPE_SECRET },
    { .name = "algorithm",
      .type = CB_TYPE_TEXT,
      .default_json = "\"AES\"",
      .aliases = NAMES("cipher") },
    CRYPTO_CIPHER_ID,
    { .name = "format",
      .type = CB_TYPE_ENUM,
      .default_json = "\"openssl\"",
      .enum_values = NAMES("openssl", "raw", "gcm") },
    CRYPTO_KDF_PARAMS,
    { .name = "salt", .type = CB_TYPE_TEXT },
    { .name = "iv", .type = CB_TYPE_BYTES },
    { .name = "encoding",
      .type = CB_TYPE_ENUM,
      .default_json = "\"base64\"",
      .enum_values = NAMES("base64", "hex") },
};

static const struct cb_param crypto_decrypt_params[] = {
    { .name = "encrypted_data",
      .type = CB_TYPE_BYTES,
      .required = true,
      .aliases = NAMES("hex_ciphertext", "ciphertext") },
    { .name = "key", .type = CB_TYPE_SECRET },
    { .name = "algorithm",
      .type = CB_TYPE_TEXT,
      .default_json = "\"AES\"",
      .aliases = NAMES("cipher") },
    CRYPTO_CIPHER_ID,
    { .name = "format",
      .type = CB_TYPE_ENUM,
      .default_json = "\"auto\"",
      .enum_values = NAMES("auto", "openssl", "raw", "gcm", "legacy") },
    CRYPTO_KDF_PARAMS,
    { .name = "iv", .type = CB_TYPE_BYTES },
    { .name = "encoding",
      .type = CB_TYPE_ENUM,
      .default_json = "\"auto\"",
      .enum_values = NAMES("auto", "base64", "hex") },
};

static const struct cb_param crypto_hash_params[] = {
    { .name = "data", .type = CB_TYPE_BYTES, .required = true },
    { .name = "algorithm", .type = CB_TYPE_TEXT, .default_json = "\"sha256\"" },
    CRYPTO_ENCODING,
};

static const struct cb_param crypto_hmac_params[] = {
    { .name = "data", .type = CB_TYPE_BYTES, .required = true },
    { .name = "key", .type = CB_TYPE_SECRET, .required = true },
    { .name = "algorithm", .type = CB_TYPE_TEXT, .default_json = "\"sha256\"" },
    CRYPTO_ENCODING,
};

static const struct cb_param crypto_random_params[] = {
    { .name = "length",
      .type = CB_TYPE_INT,
      .required = true,
      .has_range = true,
      .min = 1,
      .max = 65536 },
    CRYPTO_ENCODING,
};

static const struct cb_param crypto_generate_key_params[] = {
    { .name = "algorithm", .type = CB_TYPE_TEXT, .default_json = "\"AES\"" },
    CRYPTO_ENCODING,
};

static const struct cb_param crypto_compare_params[] = {
    { .name = "a", .type = CB_TYPE_SECRET, .required = true },
    { .name = "b", .type = CB_TYPE_SECRET, .required = true },
};

static const struct cb_param crypto_new_params[] = {
    { .name = "key", .type = CB_TYPE_SECRET },
    { .name = "key_file", .type = CB_TYPE_PATH },
    { .name = "cipher",
      .type = CB_TYPE_TEXT,
      .default_json = "\"AES\"",
      .aliases = NAMES("algorithm") },
    { .name = "iv", .type = CB_TYPE_BYTES },
    { .name = "header",
      .type = CB_TYPE_ENUM,
      .default_json = "\"salt\"",
      .enum_values = NAMES("salt", "none") },
    { .name = "padding_mode",
      .type = CB_TYPE_ENUM,
      .default_json = "\"standard\"",
      .enum_values = NAMES("standard") },
    CRYPTO_KDF_PARAMS,
};

static const struct cb_param crypto_cleanup_params[] = {
    CRYPTO_CIPHER_ID,
};

#define CRYPTO_PARAMS(a) .params = (a), .n_params = CB_ELEMENTSOF(a)

static const struct cb_function crypto_functions[] = {
    { .name = "encrypt",
      CRYPTO_PARAMS(crypto_encrypt_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("cipher") },
    { .name = "decrypt",
      CRYPTO_PARAMS(crypto_decrypt_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("cipher") },
    { .name = "hash",
      CRYPTO_PARAMS(crypto_hash_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
    { .name = "hmac",
      CRYPTO_PARAMS(crypto_hmac_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
    { .name = "random_bytes",
      CRYPTO_PARAMS(crypto_random_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
    { .name = "generate_key",
      CRYPTO_PARAMS(crypto_generate_key_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
    { .name = "compare",
      CRYPTO_PARAMS(crypto_compare_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
    { .name = "new",
      CRYPTO_PARAMS(crypto_new_params),
      .mode = CB_MODE_REBUILDABLE,
      .creates = "cipher" },
    { .name = "cleanup_cipher",
      CRYPTO_PARAMS(crypto_cleanup_params),
      .mode = CB_MODE_STATELESS,
      .uses = NAMES("cipher"),
      .ends = "cipher" },
};

/* Modules xml_helper and xpath (family xml): API.md sections 8 and 9. */
#define XML_SOURCE_PARAMS                                                        \
    { .name = "source",                                                          \
      .type = CB_TYPE_MARKUP,                                                    \
      .required = true,                                                          \
      .path_unless_markup = true,                                                \
      .aliases = NAMES("filename", "xml_string", "xml") },                       \
    {                                                                            \
        .name = "source_type", .type = CB_TYPE_ENUM, .default_json = "\"auto\"", \
        .enum_values = NAMES("auto", "string", "file")                           \
    }
#define XPATH_DOCUMENT_ID                                                        \
    {                                                                            \
        .name = "document_id", .type = CB_TYPE_HANDLE, .handle_kind = "document" \
    }
#define XPATH_NODE_ID                                                    \
    {                                                                    \
        .name = "node_id", .type = CB_TYPE_HANDLE, .handle_kind = "node" \
    }

static const struct cb_param xml_in_params[] = {
    XML_SOURCE_PARAMS,
    { .name = "options", .type = CB_TYPE_OBJ, .default_json = "{}" },
};

static const struct cb_param xml_out_params[] = {
    { .name = "data", .type = CB_TYPE_DATA, .required = true },
    { .name = "options", .type = CB_TYPE_OBJ, .default_json = "{}" },
};

static const struct cb_param xml_value_params[] = {
    { .name = "value", .type = CB_TYPE_DATA, .required = true },
};

static const struct cb_param xpath_load_params[] = {
    XML_SOURCE_PARAMS,
};

static const struct cb_param xpath_query_params[] = {
    { .name = "xpath", .type = CB_TYPE_XPATH, .required = true, .aliases = NAMES("expression") },
    XPATH_DOCUMENT_ID,
    XPATH_NODE_ID,
    { .name = "namespaces", .type = CB_TYPE_OBJ, .default_json = "{}" },
};

static const struct cb_param xpath_to_string_params[] = {
    XPATH_NODE_ID,
    XPATH_DOCUMENT_ID,
};

static const struct cb_param xpath_close_params[] = {
    XPATH_DOCUMENT_ID,
};

#define XML_PARAMS(a) .params = (a), .n_params = CB_ELEMENTSOF(a)

static const struct cb_function xml_helper_functions[] = {
    { .name = "xml_in", XML_PARAMS(xml_in_params), .idempotent = true, .mode = CB_MODE_STATELESS },
    { .name = "xml_out", XML_PARAMS(xml_out_params), .idempotent = true, .mode = CB_MODE_STATELESS },
    { .name = "escape_xml",
      XML_PARAMS(xml_value_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
    { .name = "unescape_xml",
      XML_PARAMS(xml_value_params),
      .idempotent = true,
      .mode = CB_MODE_STATELESS },
};

static const struct cb_function xpath_functions[] = {
    { .name = "load",
      .aliases = NAMES("load_file", "load_xml_string", "new"),
      XML_PARAMS(xpath_load_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .creates = "document" },
    { .name = "find",
      .aliases = NAMES("findnodes", "find_nodes", "find_in_node"),
      XML_PARAMS(xpath_query_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("document") },
    { .name = "findvalue",
      XML_PARAMS(xpath_query_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("document") },
    { .name = "exists",
      XML_PARAMS(xpath_query_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("document") },
    { .name = "count",
      XML_PARAMS(xpath_query_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("document") },
    { .name = "to_string",
      XML_PARAMS(xpath_to_string_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("document") },
    { .name = "close",
      .aliases = NAMES("dispose_document"),
      XML_PARAMS(xpath_close_params),
      .mode = CB_MODE_STATELESS,
      .uses = NAMES("document"),
      .ends = "document" },
};

/* Module sftp (family ssh): API.md section 6. */
#define SFTP_SESSION_ID                                                             \
    {                                                                               \
        .name = "session_id", .type = CB_TYPE_HANDLE, .handle_kind = "sftp_session" \
    }

static const struct cb_param sftp_connect_params[] = {
    { .name = "hostname", .type = CB_TYPE_HOST, .required = true, .aliases = NAMES("host") },
    { .name = "username", .type = CB_TYPE_TEXT, .required = true, .aliases = NAMES("user") },
    { .name = "password", .type = CB_TYPE_SECRET },
    { .name = "port",
      .type = CB_TYPE_INT,
      .default_json = "22",
      .has_range = true,
      .min = 1,
      .max = 65535 },
    { .name = "key_file", .type = CB_TYPE_PATH },
    { .name = "passphrase", .type = CB_TYPE_SECRET },
    { .name = "known_hosts", .type = CB_TYPE_PATH },
    { .name = "host_key_policy",
      .type = CB_TYPE_ENUM,
      .default_json = "\"strict\"",
      .enum_values = NAMES("strict", "accept-new") },
    { .name = "timeout",
      .type = CB_TYPE_NUM,
      .default_json = "60",
      .has_range = true,
      .min = 0,
      .max = 86400 },
    { .name = "more", .type = CB_TYPE_ARR },
};

static const struct cb_param sftp_put_params[] = {
    { .name = "local_file", .type = CB_TYPE_PATH, .required = true },
    { .name = "remote_file", .type = CB_TYPE_RPATH },
    { .name = "mode", .type = CB_TYPE_INT, .has_range = true, .min = 0, .max = 07777 },
    { .name = "create_dirs", .type = CB_TYPE_BOOL, .default_json = "true" },
    SFTP_SESSION_ID,
};

static const struct cb_param sftp_get_params[] = {
    { .name = "remote_file", .type = CB_TYPE_RPATH, .required = true },
    { .name = "local_file", .type = CB_TYPE_PATH, .required = true },
    SFTP_SESSION_ID,
};

static const struct cb_param sftp_list_params[] = {
    { .name = "remote_path",
      .type = CB_TYPE_RPATH,
      .default_json = "\".\"",
      .aliases = NAMES("remote_dir") },
    { .name = "wanted", .type = CB_TYPE_REGEX },
    SFTP_SESSION_ID,
};

static const struct cb_param sftp_rename_params[] = {
    { .name = "old_path", .type = CB_TYPE_RPATH, .required = true, .aliases = NAMES("old_name") },
    { .name = "new_path", .type = CB_TYPE_RPATH, .required = true, .aliases = NAMES("new_name") },
    { .name = "overwrite", .type = CB_TYPE_BOOL, .default_json = "false" },
    SFTP_SESSION_ID,
};

static const struct cb_param sftp_file_params[] = {
    { .name = "remote_file", .type = CB_TYPE_RPATH, .required = true },
    SFTP_SESSION_ID,
};

static const struct cb_param sftp_mkdir_params[] = {
    { .name = "remote_dir", .type = CB_TYPE_RPATH, .required = true },
    { .name = "parents", .type = CB_TYPE_BOOL, .default_json = "false" },
    { .name = "mode",
      .type = CB_TYPE_INT,
      .default_json = "493",
      .has_range = true,
      .min = 0,
      .max = 07777 },
    SFTP_SESSION_ID,
};

static const struct cb_param sftp_dir_params[] = {
    { .name = "remote_dir", .type = CB_TYPE_RPATH, .required = true },
    SFTP_SESSION_ID,
};

static const struct cb_param sftp_path_params[] = {
    { .name = "remote_path", .type = CB_TYPE_RPATH, .required = true },
    SFTP_SESSION_ID,
};

static const struct cb_param sftp_session_params[] = {
    SFTP_SESSION_ID,
};

#define SFTP_USES(p) .params = (p), .n_params = CB_ELEMENTSOF(p), .uses = NAMES("sftp_session")

static const struct cb_function sftp_functions[] = {
    { .name = "connect",
      .aliases = NAMES("new"),
      .params = sftp_connect_params,
      .n_params = CB_ELEMENTSOF(sftp_connect_params),
      .mode = CB_MODE_REBUILDABLE,
      .creates = "sftp_session" },
    { .name = "put", SFTP_USES(sftp_put_params), .mode = CB_MODE_REBUILDABLE },
    { .name = "get", SFTP_USES(sftp_get_params), .idempotent = true, .mode = CB_MODE_REBUILDABLE },
    { .name = "list_files",
      .aliases = NAMES("ls"),
      SFTP_USES(sftp_list_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE },
    { .name = "rename", SFTP_USES(sftp_rename_params), .mode = CB_MODE_REBUILDABLE },
    { .name = "remove", SFTP_USES(sftp_file_params), .mode = CB_MODE_REBUILDABLE },
    { .name = "mkdir", SFTP_USES(sftp_mkdir_params), .mode = CB_MODE_REBUILDABLE },
    { .name = "rmdir", SFTP_USES(sftp_dir_params), .mode = CB_MODE_REBUILDABLE },
    { .name = "stat", SFTP_USES(sftp_path_params), .idempotent = true, .mode = CB_MODE_REBUILDABLE },
    { .name = "exists",
      SFTP_USES(sftp_path_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE },
    { .name = "setcwd", SFTP_USES(sftp_dir_params), .mode = CB_MODE_REBUILDABLE },
    { .name = "cwd",
      SFTP_USES(sftp_session_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE },
    { .name = "error",
      SFTP_USES(sftp_session_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE },
    { .name = "is_connected",
      SFTP_USES(sftp_session_params),
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE },
    { .name = "disconnect",
      SFTP_USES(sftp_session_params),
      .mode = CB_MODE_STATELESS,
      .ends = "sftp_session" },
};

/* Module excel (family office): API.md section 7. */
#define XL_ID(n, k)                                             \
    {                                                           \
        .name = (n), .type = CB_TYPE_HANDLE, .handle_kind = (k) \
    }
#define XL_BOOK   XL_ID("workbook_id", "workbook")
#define XL_SHEET  XL_ID("worksheet_id", "worksheet")
#define XL_FORMAT XL_ID("format_id", "format")
#define XL_INT(n, req)                                                                    \
    {                                                                                     \
        .name = (n), .type = CB_TYPE_INT, .required = (req), .has_range = true, .min = 0, \
        .max = 1048575                                                                    \
    }
#define XL_INT_DEF(n, def)                                                                    \
    {                                                                                         \
        .name = (n), .type = CB_TYPE_INT, .default_json = (def), .has_range = true, .min = 0, \
        .max = 1048575                                                                        \
    }

static const struct cb_param xl_create_params[] = {
    { .name = "filename", .type = CB_TYPE_PATH, .required = true },
    { .name = "constant_memory", .type = CB_TYPE_BOOL, .default_json = "false" },
    { .name = "keep_leading_zeros", .type = CB_TYPE_BOOL, .default_json = "false" },
};

static const struct cb_param xl_add_sheet_params[] = {
    { .name = "sheet_name", .type = CB_TYPE_TEXT, .aliases = NAMES("name") },
    XL_BOOK,
};

static const struct cb_param xl_write_cell_params[] = {
    XL_INT("row", true),
    XL_INT("col", true),
    { .name = "value", .type = CB_TYPE_DATA, .aliases = NAMES("data") },
    { .name = "type",
      .type = CB_TYPE_ENUM,
      .default_json = "\"auto\"",
      .enum_values =
              NAMES("auto", "string", "number", "formula", "url", "date", "boolean", "blank") },
    XL_FORMAT,
    XL_SHEET,
    XL_BOOK,
};

static const struct cb_param xl_write_row_params[] = {
    XL_INT("row", true),
    XL_INT_DEF("col", "0"),
    { .name = "values", .type = CB_TYPE_ARR, .required = true, .aliases = NAMES("data") },
    XL_FORMAT,
    XL_SHEET,
    XL_BOOK,
};

static const struct cb_param xl_write_col_params[] = {
    XL_INT("col", true),
    XL_INT_DEF("row", "0"),
    { .name = "values", .type = CB_TYPE_ARR, .required = true, .aliases = NAMES("data") },
    XL_FORMAT,
    XL_SHEET,
    XL_BOOK,
};

static const struct cb_param xl_write_rows_params[] = {
    { .name = "rows", .type = CB_TYPE_ARR, .required = true },
    XL_INT_DEF("row", "0"),
    XL_INT_DEF("col", "0"),
    XL_FORMAT,
    XL_SHEET,
    XL_BOOK,
};

static const struct cb_param xl_add_format_params[] = {
    { .name = "properties", .type = CB_TYPE_OBJ, .default_json = "{}" },
    XL_BOOK,
};

static const struct cb_param xl_update_format_params[] = {
    { .name = "format_id", .type = CB_TYPE_HANDLE, .required = true, .handle_kind = "format" },
    { .name = "property", .type = CB_TYPE_TEXT, .required = true },
    { .name = "value", .type = CB_TYPE_DATA },
};

static const struct cb_param xl_set_column_params[] = {
    XL_INT("first_col", true),
    XL_INT("last_col", false),
    { .name = "width",
      .type = CB_TYPE_NUM,
      .required = true,
      .has_range = true,
      .min = 0,
      .max = 255 },
    XL_FORMAT,
    XL_SHEET,
};

static const struct cb_param xl_set_row_params[] = {
    XL_INT("row", true),
    { .name = "height",
      .type = CB_TYPE_NUM,
      .required = true,
      .has_range = true,
      .min = 0,
      .max = 409 },
    XL_FORMAT,
    XL_SHEET,
};

static const struct cb_param xl_merge_params[] = {
    XL_INT("first_row", true),
    XL_INT("first_col", true),
    XL_INT("last_row", true),
    XL_INT("last_col", true),
    { .name = "value", .type = CB_TYPE_DATA },
    XL_FORMAT,
    XL_SHEET,
};

static const struct cb_param xl_freeze_params[] = {
    XL_INT("row", true),
    XL_INT_DEF("col", "0"),
    XL_SHEET,
};

static const struct cb_param xl_autofilter_params[] = {
    XL_INT("first_row", true),
    XL_INT("first_col", true),
    XL_INT("last_row", true),
    XL_INT("last_col", true),
    XL_SHEET,
};

static const struct cb_param xl_properties_params[] = {
    { .name = "title", .type = CB_TYPE_TEXT },    { .name = "subject", .type = CB_TYPE_TEXT },
    { .name = "author", .type = CB_TYPE_TEXT },   { .name = "company", .type = CB_TYPE_TEXT },
    { .name = "comments", .type = CB_TYPE_TEXT }, XL_BOOK,
};

static const struct cb_param xl_book_params[] = {
    XL_BOOK,
};

static const struct cb_param xl_write_workbook_params[] = {
    { .name = "filename", .type = CB_TYPE_PATH, .required = true },
    { .name = "sheets", .type = CB_TYPE_ARR, .required = true },
    { .name = "constant_memory", .type = CB_TYPE_BOOL, .default_json = "false" },
    { .name = "keep_leading_zeros", .type = CB_TYPE_BOOL, .default_json = "false" },
};

#define XL_FN(n, p, ...)                                                                       \
    {                                                                                          \
        .name = (n), .params = (p), .n_params = CB_ELEMENTSOF(p), .mode = CB_MODE_DAEMON_ONLY, \
        __VA_ARGS__                                                                            \
    }

static const struct cb_function excel_functions[] = {
    XL_FN("create_workbook", xl_create_params, .creates = "workbook"),
    XL_FN("add_worksheet", xl_add_sheet_params, .creates = "worksheet", .uses = NAMES("workbook")),
    XL_FN("write_cell", xl_write_cell_params, .uses = NAMES("workbook", "worksheet", "format")),
    XL_FN("write_row", xl_write_row_params, .uses = NAMES("workbook", "worksheet", "format")),
    XL_FN("write_col", xl_write_col_params, .uses = NAMES("workbook", "worksheet", "format")),
    XL_FN("write_rows", xl_write_rows_params, .uses = NAMES("workbook", "worksheet", "format")),
    XL_FN("add_format", xl_add_format_params, .creates = "format", .uses = NAMES("workbook")),
    XL_FN("update_format", xl_update_format_params, .uses = NAMES("format")),
    XL_FN("set_column", xl_set_column_params, .uses = NAMES("worksheet", "format")),
    XL_FN("set_row", xl_set_row_params, .uses = NAMES("worksheet", "format")),
    XL_FN("merge_range", xl_merge_params, .uses = NAMES("worksheet", "format")),
    XL_FN("freeze_panes", xl_freeze_params, .uses = NAMES("worksheet")),
    XL_FN("autofilter", xl_autofilter_params, .uses = NAMES("worksheet")),
    XL_FN("set_properties", xl_properties_params, .uses = NAMES("workbook")),
    XL_FN("save_workbook",
          xl_book_params,
          .aliases = NAMES("close_workbook"),
          .uses = NAMES("workbook"),
          .ends = "workbook"),
    XL_FN("discard_workbook", xl_book_params, .uses = NAMES("workbook"), .ends = "workbook"),
    { .name = "write_workbook",
      .params = xl_write_workbook_params,
      .n_params = CB_ELEMENTSOF(xl_write_workbook_params),
      .mode = CB_MODE_STATELESS },
};

/* Module datetime_helper (family core): API.md section 12. */
#define DT_ZONE                                   \
    {                                             \
        .name = "time_zone", .type = CB_TYPE_TEXT \
    }
#define DT_AMOUNT(n)                                                              \
    {                                                                             \
        .name = (n), .type = CB_TYPE_INT, .default_json = "0", .has_range = true, \
        .min = -100000000000LL, .max = 100000000000LL                             \
    }

static const struct cb_param dt_now_params[] = { DT_ZONE };

static const struct cb_param dt_format_params[] = {
    { .name = "datetime", .type = CB_TYPE_MOMENT },
    { .name = "pattern", .type = CB_TYPE_TEXT, .default_json = "\"%Y-%m-%dT%H:%M:%S\"" },
    DT_ZONE,
    { .name = "locale", .type = CB_TYPE_TEXT, .default_json = "\"C\"" },
};

static const struct cb_param dt_parse_params[] = {
    { .name = "text", .type = CB_TYPE_TEXT, .required = true },
    { .name = "pattern", .type = CB_TYPE_TEXT },
    DT_ZONE,
};

static const struct cb_param dt_add_params[] = {
    { .name = "datetime", .type = CB_TYPE_MOMENT },
    DT_AMOUNT("years"),
    DT_AMOUNT("months"),
    DT_AMOUNT("weeks"),
    DT_AMOUNT("days"),
    DT_AMOUNT("hours"),
    DT_AMOUNT("minutes"),
    DT_AMOUNT("seconds"),
    { .name = "end_of_month",
      .type = CB_TYPE_ENUM,
      .enum_values = NAMES("wrap", "limit", "preserve") },
    DT_ZONE,
};

static const struct cb_param dt_diff_params[] = {
    { .name = "from", .type = CB_TYPE_MOMENT, .required = true },
    { .name = "to", .type = CB_TYPE_MOMENT, .required = true },
    DT_ZONE,
};

#define DT_FN(n, a, p)                                                            \
    {                                                                             \
        .name = (n), .aliases = (a), .params = (p), .n_params = CB_ELEMENTSOF(p), \
        .idempotent = true, .mode = CB_MODE_STATELESS                             \
    }

static const struct cb_function datetime_functions[] = {
    DT_FN("now", NULL, dt_now_params),
    DT_FN("format", NAMES("format_date"), dt_format_params),
    DT_FN("parse", NAMES("parse_date"), dt_parse_params),
    DT_FN("add", NAMES("add_days"), dt_add_params),
    DT_FN("diff", NAMES("diff_days"), dt_diff_params),
};

/* Module logging_helper (family core): API.md section 13. */
#define LOG_LEVELS NAMES("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL")
#define LOG_LOGGER_ID                                                        \
    {                                                                        \
        .name = "logger_id", .type = CB_TYPE_HANDLE, .handle_kind = "logger" \
    }
#define LOG_EVENT_PARAMS                                                                            \
    { .name = "message", .type = CB_TYPE_DATA }, LOG_LOGGER_ID,                                     \
            { .name = "filename", .type = CB_TYPE_TEXT },                                           \
            { .name = "line", .type = CB_TYPE_INT, .has_range = true, .min = 0, .max = 100000000 }, \
            { .name = "package", .type = CB_TYPE_TEXT },                                            \
    {                                                                                               \
        .name = "enhanced", .type = CB_TYPE_BOOL, .default_json = "false"                           \
    }

static const struct cb_param log_init_params[] = {
    { .name = "config", .type = CB_TYPE_CONFIG },
    { .name = "config_file", .type = CB_TYPE_PATH },
    { .name = "level", .type = CB_TYPE_ENUM, .enum_values = LOG_LEVELS },
};

static const struct cb_param log_get_logger_params[] = {
    { .name = "category", .type = CB_TYPE_TEXT, .default_json = "\"main\"" },
    { .name = "level", .type = CB_TYPE_ENUM, .enum_values = LOG_LEVELS },
    { .name = "caller_depth", .type = CB_TYPE_INT },
};

static const struct cb_param log_log_params[] = {
    { .name = "level", .type = CB_TYPE_ENUM, .required = true, .enum_values = LOG_LEVELS },
    LOG_EVENT_PARAMS,
};

static const struct cb_param log_at_params[] = { LOG_EVENT_PARAMS };

static const struct cb_param log_level_params[] = {
    { .name = "level", .type = CB_TYPE_ENUM, .required = true, .enum_values = LOG_LEVELS },
    LOG_LOGGER_ID,
};

static const struct cb_param log_logger_params[] = { LOG_LOGGER_ID };

#define LOG_FN(n, p, ...)                                                                      \
    {                                                                                          \
        .name = (n), .params = (p), .n_params = CB_ELEMENTSOF(p), .mode = CB_MODE_REBUILDABLE, \
        .uses = NAMES("logger", "log_config"), __VA_ARGS__                                     \
    }

static const struct cb_function logging_functions[] = {
    { .name = "init",
      .params = log_init_params,
      .n_params = CB_ELEMENTSOF(log_init_params),
      .mode = CB_MODE_REBUILDABLE,
      .creates = "log_config" },
    { .name = "initialized",
      .idempotent = true,
      .mode = CB_MODE_REBUILDABLE,
      .uses = NAMES("log_config") },
    { .name = "get_logger",
      .aliases = NAMES("init_logger"),
      .params = log_get_logger_params,
      .n_params = CB_ELEMENTSOF(log_get_logger_params),
      .mode = CB_MODE_REBUILDABLE,
      .creates = "logger",
      .uses = NAMES("log_config") },
    LOG_FN("log", log_log_params, .aliases = NAMES("log_message")),
    LOG_FN("log_trace", log_at_params),
    LOG_FN("log_debug", log_at_params),
    LOG_FN("log_info", log_at_params),
    LOG_FN("log_warn", log_at_params, .aliases = NAMES("log_warning")),
    LOG_FN("log_error", log_at_params),
    LOG_FN("log_fatal", log_at_params),
    LOG_FN("logdie", log_at_params),
    LOG_FN("set_level", log_level_params, .idempotent = true),
    LOG_FN("get_level", log_logger_params, .idempotent = true),
    LOG_FN("is_enabled", log_level_params, .idempotent = true),
    LOG_FN("is_trace", log_logger_params, .idempotent = true),
    LOG_FN("is_debug", log_logger_params, .idempotent = true),
    LOG_FN("is_info", log_logger_params, .idempotent = true),
    LOG_FN("is_warn", log_logger_params, .idempotent = true),
    LOG_FN("is_error", log_logger_params, .idempotent = true),
    LOG_FN("is_fatal", log_logger_params, .idempotent = true),
    { .name = "cleanup_logger",
      .params = log_logger_params,
      .n_params = CB_ELEMENTSOF(log_logger_params),
      .mode = CB_MODE_STATELESS,
      .uses = NAMES("logger"),
      .ends = "logger" },
};

const struct cb_module cb_catalogue_table[] = {
    { .name = "test",
      .family = "core",
      .functions = test_functions,
      .n_functions = CB_ELEMENTSOF(test_functions) },
    { .name = "datetime_helper",
      .family = "core",
      .functions = datetime_functions,
      .n_functions = CB_ELEMENTSOF(datetime_functions) },
    { .name = "logging_helper",
      .family = "core",
      .functions = logging_functions,
      .n_functions = CB_ELEMENTSOF(logging_functions) },
    { .name = "system",
      .family = "router",
      .functions = system_functions,
      .n_functions = CB_ELEMENTSOF(system_functions) },
    { .name = "database",
      .family = "db",
      .functions = database_functions,
      .n_functions = CB_ELEMENTSOF(database_functions) },
    { .name = "http",
      .aliases = NAMES("http_helper"),
      .family = "net",
      .functions = http_functions,
      .n_functions = CB_ELEMENTSOF(http_functions) },
    { .name = "email_helper",
      .family = "net",
      .functions = email_functions,
      .n_functions = CB_ELEMENTSOF(email_functions) },
    { .name = "excel",
      .family = "office",
      .functions = excel_functions,
      .n_functions = CB_ELEMENTSOF(excel_functions) },
    { .name = "sftp",
      .family = "ssh",
      .functions = sftp_functions,
      .n_functions = CB_ELEMENTSOF(sftp_functions) },
    { .name = "crypto",
      .family = "crypto",
      .functions = crypto_functions,
      .n_functions = CB_ELEMENTSOF(crypto_functions) },
    { .name = "xml_helper",
      .family = "xml",
      .functions = xml_helper_functions,
      .n_functions = CB_ELEMENTSOF(xml_helper_functions) },
    { .name = "xpath",
      .family = "xml",
      .functions = xpath_functions,
      .n_functions = CB_ELEMENTSOF(xpath_functions) },
};

const size_t cb_catalogue_table_size = CB_ELEMENTSOF(cb_catalogue_table);

/* Every family of DESIGN.md, built or not: the router knows them all so that a call to a
 * family whose package is absent can say "family not installed". */
const struct cb_family_info cb_family_table[] = {
    { "core", "cpan-bridge-core" },     { "db", "cpan-bridge-db" },
    { "net", "cpan-bridge-net" },       { "ssh", "cpan-bridge-ssh" },
    { "office", "cpan-bridge-office" }, { "xml", "cpan-bridge-xml" },
    { "crypto", "cpan-bridge-crypto" },
};

const size_t cb_family_table_size = CB_ELEMENTSOF(cb_family_table);
