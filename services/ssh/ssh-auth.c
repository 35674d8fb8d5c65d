/* SPDX-License-Identifier: MIT */
/* Authentication: a password, a key file (with its passphrase), or the user's own keys. */
#include "services/ssh/ssh-internal.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-json.h"

/* The earlier daemon's `more`: ssh options, of which only the identity file is understood. */
static const char *identity_from_more(json_t *more)
{
    json_t *item;
    size_t i;

    json_array_foreach(more, i, item)
    {
        const char *s = json_string_value(item);

        if (!s) {
            continue;
        }
        if (strcmp(s, "-i") == 0) {
            return json_string_value(json_array_get(more, i + 1));
        }
        if (strncmp(s, "-i", 2) == 0 && s[2]) {
            return s + 2;
        }
        if (strncmp(s, "IdentityFile=", 13) == 0) {
            return s + 13;
        }
        if (strcmp(s, "-o") == 0) {
            const char *o = json_string_value(json_array_get(more, i + 1));

            if (o && strncmp(o, "IdentityFile=", 13) == 0) {
                return o + 13;
            }
        }
    }
    return NULL;
}

static int auth_failed(struct ssh_conn *c, const char *how, struct cb_error *err)
{
    char *msg = NULL;

    (void)libssh2_session_last_error(c->session, &msg, NULL, 0);
    return cb_error_set_backend(err, "AUTH_FAILED", msg ? msg : "authentication failed",
                                "%s@%s:%d could not log in with %s: %s", c->user, c->host, c->port,
                                how, msg ? msg : "refused");
}

/* libssh2 before 1.11 signs with RSA keys only as ssh-rsa (SHA-1), which OpenSSH 8.8 and
 * later, and RHEL 9's default crypto policy, refuse: say so, since nothing else will. */
static const char *rsa_hint(const char *key_file)
{
#if LIBSSH2_VERSION_NUM < 0x010b00
    char head[64] = "";
    FILE *f = fopen(key_file, "re");

    if (f) {
        if (!fgets(head, sizeof head, f)) {
            head[0] = '\0';
        }
        fclose(f);
    }
    if (strstr(head, "RSA") || strstr(key_file, "rsa")) {
        return "the key file (an RSA key: this libssh2 signs with SHA-1, which current OpenSSH "
               "servers refuse; use an ed25519 or ECDSA key, or libssh2 1.11)";
    }
#else
    (void)key_file;
#endif
    return "the key file";
}

static int try_key(struct ssh_conn *c, const char *file, const char *passphrase)
{
    /* With no public key file, libssh2 derives the public key from the private one. */
    return libssh2_userauth_publickey_fromfile(c->session, c->user, NULL, file, passphrase);
}

int ssh_authenticate(struct cb_call *call, struct ssh_conn *c, struct cb_error *err)
{
    const char *password = cb_json_get_string(call->params, "password", NULL);
    const char *key_file = cb_json_get_string(call->params, "key_file", NULL);
    const char *passphrase = cb_json_get_string(call->params, "passphrase", NULL);
    static const char *const own_keys[] = { "id_ed25519", "id_ecdsa", "id_rsa" };
    struct passwd *pw;

    if (!key_file) {
        key_file = identity_from_more(json_object_get(call->params, "more"));
    }
    if (key_file) {
        if (access(key_file, R_OK) < 0) {
            return cb_error_set(err, CB_E_INVALID_PARAM,
                                "parameter 'key_file': '%s' cannot be read", key_file);
        }
        if (try_key(c, key_file, passphrase) == 0) {
            return 0;
        }
        return auth_failed(c, rsa_hint(key_file), err);
    }
    if (password) {
        return libssh2_userauth_password(c->session, c->user, password) == 0
                       ? 0
                       : auth_failed(c, "the password", err);
    }
    /* As ssh would: the caller's own keys, without passphrases (no agent is reachable). */
    pw = getpwuid(getuid());
    for (size_t i = 0; pw && i < CB_ELEMENTSOF(own_keys); i++) {
        char path[4096];

        snprintf(path, sizeof path, "%s/.ssh/%s", pw->pw_dir, own_keys[i]);
        if (access(path, R_OK) == 0 && try_key(c, path, NULL) == 0) {
            return 0;
        }
    }
    return cb_error_set_backend(
            err, "AUTH_FAILED", "no credentials",
            "%s@%s:%d could not log in: no password, no key_file, and none of ~/.ssh/id_ed25519, id_ecdsa, id_rsa was accepted",
            c->user, c->host, c->port);
}
