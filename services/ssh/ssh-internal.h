/* SPDX-License-Identifier: MIT */
/*
 * The ssh family (module sftp) on libssh2. An SFTP session is a top-level handle holding one
 * SSH connection: work on it is serialized by the handle's lock, and it lives until
 * disconnect or the end of the session that made it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "common/cb-family.h"

#define SSH_SESSION_KIND   "sftp_session"
#define SSH_SESSION_PREFIX "ssh-s"
/* Bytes per read or write call: big enough that libssh2 keeps many packets in flight. */
#define SSH_CHUNK (1024u * 1024u)

struct ssh_conn {
    int fd;
    LIBSSH2_SESSION *session;
    LIBSSH2_SFTP *sftp;
    char *host;
    int port;
    char *user;
    char *cwd;        /* absolute; relative remote paths start here */
    char *last_error; /* for sftp.error */
    char fingerprint[80];
    bool dropped; /* the connection failed under us: only disconnect is left */
};

void ssh_conn_free(void *object);

/* ssh-connect.c */
int ssh_connect(struct cb_call *call, json_t **ret, struct cb_error *err);
/* ssh-hostkey.c: checks the server's key against known_hosts (and keys accepted earlier). */
int ssh_check_host_key(struct cb_call *call, struct ssh_conn *c, struct cb_error *err);
/* ssh-auth.c: password, key_file, or the user's own keys in ~/.ssh. */
int ssh_authenticate(struct cb_call *call, struct ssh_conn *c, struct cb_error *err);

/* ssh-conn.c */
/* The session named by session_id, or the current one, locked; released by the caller. */
int ssh_acquire(struct cb_call *call, struct cb_handle **ret, struct cb_error *err);
/* A remote path made absolute against the session's current directory; malloc'ed. */
char *ssh_resolve(const struct ssh_conn *c, const char *path);
/* The last libssh2 failure as E_BACKEND (SFTP status name, or the session's error), recorded
 * for sftp.error; a dead connection marks the session dropped. */
int ssh_fail(struct ssh_conn *c, const char *what, const char *path, struct cb_error *err);
/* Records a failure of ours (not libssh2's) for sftp.error. */
void ssh_note_error(struct ssh_conn *c, const struct cb_error *err);
const char *ssh_sftp_status_name(unsigned long code);

/* ssh-transfer.c */
int ssh_put(struct cb_call *call, json_t **ret, struct cb_error *err);
int ssh_get(struct cb_call *call, json_t **ret, struct cb_error *err);

/* ssh-ops.c */
int ssh_list_files(struct cb_call *call, json_t **ret, struct cb_error *err);
int ssh_rename(struct cb_call *call, json_t **ret, struct cb_error *err);
int ssh_remove(struct cb_call *call, json_t **ret, struct cb_error *err);
int ssh_mkdir(struct cb_call *call, json_t **ret, struct cb_error *err);
int ssh_rmdir(struct cb_call *call, json_t **ret, struct cb_error *err);
int ssh_stat(struct cb_call *call, json_t **ret, struct cb_error *err);
int ssh_exists(struct cb_call *call, json_t **ret, struct cb_error *err);
int ssh_setcwd(struct cb_call *call, json_t **ret, struct cb_error *err);
int ssh_cwd(struct cb_call *call, json_t **ret, struct cb_error *err);
int ssh_error(struct cb_call *call, json_t **ret, struct cb_error *err);
int ssh_is_connected(struct cb_call *call, json_t **ret, struct cb_error *err);
int ssh_disconnect(struct cb_call *call, json_t **ret, struct cb_error *err);
/* mkdir -p of a remote directory; *ret_created says whether any was made. */
int ssh_make_dirs(struct ssh_conn *c,
                  const char *dir,
                  long mode,
                  bool *ret_created,
                  struct cb_error *err);

extern const struct cb_family ssh_family;
