/* SPDX-License-Identifier: MIT */
/* The net family's handler table and per-session state. */
#include "services/net/net-internal.h"

#include <stdlib.h>

static void *net_session_new(void)
{
    return calloc(1, sizeof(struct net_session));
}

/* Closing the handles closes the session's kept connections (SMTP says QUIT). */
static void net_session_free(void *data)
{
    struct net_session *s = data;

    curl_easy_cleanup(s->http);
    curl_easy_cleanup(s->smtp);
    free(s);
}

/* Every call waits on the network, so none runs on the loop thread. validate_email alone
 * could, but it is too rare to be worth the exception. */
static const struct cb_handler net_handlers[] = {
    { "http", "get", net_http_get, false },
    { "http", "post", net_http_post, false },
    { "http", "put", net_http_put, false },
    { "http", "patch", net_http_patch, false },
    { "http", "delete", net_http_delete, false },
    { "http", "head", net_http_head, false },
    { "http", "request", net_http_request, false },
    { "email_helper", "send_email", net_email_send, false },
    { "email_helper", "validate_email", net_email_validate, false },
    { "email_helper", "test_smtp_connection", net_email_test, false },
};

const struct cb_family net_family = {
    .name = "net",
    .handlers = net_handlers,
    .n_handlers = CB_ELEMENTSOF(net_handlers),
    .session_ops = { .data_new = net_session_new, .data_free = net_session_free },
};
