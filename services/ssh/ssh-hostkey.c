/* SPDX-License-Identifier: MIT */
/*
 * Host keys, strict as OpenSSH's StrictHostKeyChecking=yes: the key must be in known_hosts.
 * accept-new also takes a host not known yet and remembers its key for the life of this
 * daemon (never writing the user's file); a changed key is always refused.
 */
#include "services/ssh/ssh-internal.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-base64.h"
#include "common/cb-json.h"
#include "common/cb-log.h"

struct accepted {
    char *name; /* "[host]:port" */
    int type;
    void *key;
    size_t len;
};

static pthread_mutex_t accepted_lock = PTHREAD_MUTEX_INITIALIZER;
static struct accepted *accepted;
static size_t n_accepted;

static int knownhost_type(int hostkey_type)
{
    switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
        return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS:
        return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
        return LIBSSH2_KNOWNHOST_KEY_ED25519;
    default:
        return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
    }
}

/* 0: not seen; 1: the same key; -1: another key. */
static int accepted_check(const char *name, int type, const void *key, size_t len, bool add)
{
    int r = 0;

    pthread_mutex_lock(&accepted_lock);
    for (size_t i = 0; i < n_accepted; i++) {
        if (strcmp(accepted[i].name, name) == 0 && accepted[i].type == type) {
            r = accepted[i].len == len && memcmp(accepted[i].key, key, len) == 0 ? 1 : -1;
            break;
        }
    }
    if (r == 0 && add) {
        struct accepted *grown = reallocarray(accepted, n_accepted + 1, sizeof *grown);
        struct accepted a = { .name = strdup(name), .type = type, .key = malloc(len), .len = len };

        if (grown && a.name && a.key) {
            memcpy(a.key, key, len);
            accepted = grown;
            accepted[n_accepted++] = a;
        } else {
            accepted = grown ? grown : accepted;
            free(a.name);
            free(a.key);
        }
    }
    pthread_mutex_unlock(&accepted_lock);
    return r;
}

static char *known_hosts_path(struct cb_call *call)
{
    const char *given = cb_json_get_string(call->params, "known_hosts", NULL);
    struct passwd *pw;
    char *path = NULL;

    if (given) {
        return strdup(given);
    }
    if (call->config->ssh_known_hosts) {
        return strdup(call->config->ssh_known_hosts);
    }
    /* The instance runs as the caller: their own file, as their ssh would read it. */
    pw = getpwuid(getuid());
    if (pw && asprintf(&path, "%s/.ssh/known_hosts", pw->pw_dir) >= 0) {
        return path;
    }
    return NULL;
}

static void set_fingerprint(struct ssh_conn *c)
{
    const unsigned char *hash =
            (const unsigned char *)libssh2_hostkey_hash(c->session, LIBSSH2_HOSTKEY_HASH_SHA256);
    char *b64 = hash ? cb_base64_encode(hash, 32) : NULL;

    /* OpenSSH's form: SHA256: and the base64 without its padding. */
    if (b64) {
        b64[strcspn(b64, "=")] = '\0';
        snprintf(c->fingerprint, sizeof c->fingerprint, "SHA256:%s", b64);
    }
    free(b64);
}

int ssh_check_host_key(struct cb_call *call, struct ssh_conn *c, struct cb_error *err)
{
    bool accept_new = strcmp(cb_json_get_string(call->params, "host_key_policy", "strict"),
                             "accept-new") == 0;
    char *path = known_hosts_path(call), name[300];
    struct libssh2_knownhost *found = NULL;
    LIBSSH2_KNOWNHOSTS *kh;
    const char *key;
    size_t len;
    int type, check, r = 0;

    key = libssh2_session_hostkey(c->session, &len, &type);
    set_fingerprint(c);
    kh = libssh2_knownhost_init(c->session);
    if (!key || !kh || !path) {
        free(path);
        if (kh) {
            libssh2_knownhost_free(kh);
        }
        return cb_error_set(err, CB_E_INTERNAL, "cannot read the server's host key");
    }
    /* A missing file knows no host: strict then refuses, as OpenSSH does. One that is there
     * but cannot be read is the caller's to fix, not a host missing from it. */
    if (access(path, R_OK) < 0 && errno != ENOENT) {
        r = cb_error_set(err, CB_E_INVALID_PARAM,
                         "cannot read the known_hosts file %s: %s; it must be readable by uid %u",
                         path, strerror(errno), (unsigned)geteuid());
        libssh2_knownhost_free(kh);
        free(path);
        return r;
    }
    (void)libssh2_knownhost_readfile(kh, path, LIBSSH2_KNOWNHOST_FILE_OPENSSH);
    check = libssh2_knownhost_checkp(kh, c->host, c->port, key, len,
                                     LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                             knownhost_type(type),
                                     &found);
    libssh2_knownhost_free(kh);
    snprintf(name, sizeof name, "[%s]:%d", c->host, c->port);
    if (check == LIBSSH2_KNOWNHOST_CHECK_NOTFOUND) {
        int seen = accepted_check(name, type, key, len, accept_new);

        check = seen > 0     ? LIBSSH2_KNOWNHOST_CHECK_MATCH
                : seen < 0   ? LIBSSH2_KNOWNHOST_CHECK_MISMATCH
                : accept_new ? LIBSSH2_KNOWNHOST_CHECK_MATCH
                             : LIBSSH2_KNOWNHOST_CHECK_NOTFOUND;
        if (seen == 0 && accept_new) {
            cb_log_notice(
                    "Accepted the new host key %s of %s (host_key_policy accept-new); it is remembered until this daemon stops",
                    c->fingerprint, name);
        }
    }
    if (check == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
        cb_log_warning(
                "The host key of %s is %s, not the one in %s: refused (it may be an attack, or the host was reinstalled)",
                name, c->fingerprint, path);
        r = cb_error_set_backend(
                err, "HOSTKEY_CHANGED", "the host key has changed",
                "the host key of %s has changed (now %s): refused; if the host was reinstalled, update %s",
                name, c->fingerprint, path);
    } else if (check != LIBSSH2_KNOWNHOST_CHECK_MATCH) {
        r = cb_error_set_backend(
                err, "HOSTKEY_UNKNOWN", "the host is not in known_hosts",
                "%s (key %s) is not in %s: add it (ssh-keyscan) or use host_key_policy accept-new",
                name, c->fingerprint, path);
    }
    free(path);
    return r;
}
