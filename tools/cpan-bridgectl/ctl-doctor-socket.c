/* SPDX-License-Identifier: MIT */
/* cpan-bridgectl doctor: the router's socket and the directory it lives in. */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cb-config.h"
#include "tools/cpan-bridgectl/ctl-internal.h"

/* The packaged socket unit's SocketUser=, SocketGroup= and SocketMode=. */
#define SOCKET_MODE_EXPECTED 0660
/* tmpfiles.d makes /run/cpan-bridge 0755 root:root. */
#define RUNTIME_DIR_MODE_EXPECTED 0755

static const char *user_name(uid_t uid, char buf[CTL_FMT_LEN])
{
    struct passwd *pw = getpwuid(uid);

    if (pw) {
        snprintf(buf, CTL_FMT_LEN, "%s", pw->pw_name);
    } else {
        snprintf(buf, CTL_FMT_LEN, "%u", (unsigned)uid);
    }
    return buf;
}

static const char *group_name(gid_t gid, char buf[CTL_FMT_LEN])
{
    struct group *gr = getgrgid(gid);

    if (gr) {
        snprintf(buf, CTL_FMT_LEN, "%s", gr->gr_name);
    } else {
        snprintf(buf, CTL_FMT_LEN, "%u", (unsigned)gid);
    }
    return buf;
}

static const char *file_kind(mode_t mode)
{
    if (S_ISREG(mode)) {
        return "a regular file";
    }
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    return "not a socket";
}

/* A world-writable directory lets any user replace the socket with one of their own. */
static bool in_temporary_directory(const char *path)
{
    static const char *const prefixes[] = { "/tmp/", "/var/tmp/", "/dev/shm/" };

    for (size_t i = 0; i < CB_ELEMENTSOF(prefixes); i++) {
        if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0) {
            return true;
        }
    }
    return false;
}

static void check_owner_and_mode(struct ctl_doctor *d, const struct stat *st)
{
    char user[CTL_FMT_LEN], group[CTL_FMT_LEN];
    unsigned mode = st->st_mode & 07777;

    user_name(st->st_uid, user);
    group_name(st->st_gid, group);
    if (!d->default_socket) {
        ctl_doctor_report(d, CTL_LEVEL_OK, "socket-owner", "%s:%s, mode %04o", user, group, mode);
        return;
    }

    if (strcmp(user, CB_SERVICE_USER) != 0 || strcmp(group, CB_CLIENTS_GROUP) != 0) {
        ctl_doctor_report(d, CTL_LEVEL_WARN, "socket-owner", "%s:%s, expected %s:%s", user, group,
                          CB_SERVICE_USER, CB_CLIENTS_GROUP);
        ctl_doctor_hint(d, "cpan-bridge.socket sets SocketUser= and SocketGroup=; check for a "
                           "drop-in overriding them (systemctl cat cpan-bridge.socket)");
    }
    if (mode != SOCKET_MODE_EXPECTED) {
        ctl_doctor_report(d, CTL_LEVEL_WARN, "socket-mode", "mode %04o, expected %04o%s", mode,
                          SOCKET_MODE_EXPECTED,
                          mode & 0002 ? ": any local user may connect (the router still checks "
                                        "[access])"
                                      : "");
        ctl_doctor_hint(d, "cpan-bridge.socket sets SocketMode=0660");
    } else if (strcmp(user, CB_SERVICE_USER) == 0 && strcmp(group, CB_CLIENTS_GROUP) == 0) {
        ctl_doctor_report(d, CTL_LEVEL_OK, "socket-owner", "%s:%s, mode %04o", user, group, mode);
    }
}

static void check_listening(struct ctl_doctor *d)
{
    struct cb_client *c = NULL;
    int r = cb_client_connect(d->socket_path, 2000, &c);

    cb_client_free(c);
    if (r == 0) {
        ctl_doctor_report(d, CTL_LEVEL_OK, "socket-listen", "accepts connections");
    } else if (r == -ECONNREFUSED) {
        ctl_doctor_report(d, CTL_LEVEL_FAIL, "socket-listen",
                          "stale socket: it exists but nothing listens on it");
        ctl_doctor_hint(d, "systemctl restart cpan-bridge.socket (it removes and recreates it)");
    } else if (r == -EACCES || r == -EPERM) {
        ctl_doctor_report(d, CTL_LEVEL_FAIL, "socket-listen", "connecting is not permitted: %s",
                          strerror(-r));
        ctl_doctor_hint(d, "join group %s (usermod -aG %s USER), then log in again",
                        CB_CLIENTS_GROUP, CB_CLIENTS_GROUP);
    } else {
        ctl_doctor_report(d, CTL_LEVEL_WARN, "socket-listen", "connecting failed: %s",
                          strerror(-r));
        ctl_doctor_hint(d, "the router may be overloaded; see journalctl -u cpan-bridge.service");
    }
}

static void check_directory(struct ctl_doctor *d)
{
    CB_CLEANUP(cb_freep) char *copy = strdup(d->socket_path);
    const char *dir = copy ? dirname(copy) : NULL;
    struct stat st;
    unsigned mode;

    if (!dir || stat(dir, &st) < 0) {
        ctl_doctor_report(d, CTL_LEVEL_FAIL, "runtime-dir", "%s: %s", dir ? dir : "?",
                          strerror(errno));
        ctl_doctor_hint(d, "systemd-tmpfiles --create cpan-bridge.conf makes %s",
                        CB_RUNTIME_DIR_DEFAULT);
        return;
    }

    mode = st.st_mode & 07777;
    if ((mode & 0002) && !(mode & 01000)) {
        ctl_doctor_report(d, CTL_LEVEL_FAIL, "runtime-dir",
                          "%s is world-writable (%04o): anyone may replace the socket", dir, mode);
        ctl_doctor_hint(d, "chmod 0755 %s", dir);
    } else if (d->default_socket && (mode != RUNTIME_DIR_MODE_EXPECTED || st.st_uid != 0)) {
        ctl_doctor_report(d, CTL_LEVEL_WARN, "runtime-dir",
                          "%s: mode %04o, owner uid %u, expected %04o root", dir, mode,
                          (unsigned)st.st_uid, RUNTIME_DIR_MODE_EXPECTED);
        ctl_doctor_hint(d, "the package's tmpfiles.d entry sets it: systemd-tmpfiles --create");
    } else {
        ctl_doctor_report(d, CTL_LEVEL_OK, "runtime-dir", "%s: mode %04o", dir, mode);
    }
}

void ctl_doctor_check_socket(struct ctl_doctor *d)
{
    struct stat st;

    if (lstat(d->socket_path, &st) < 0) {
        int saved = errno;

        ctl_doctor_report(d, CTL_LEVEL_FAIL, "socket", "%s: %s", d->socket_path, strerror(saved));
        ctl_doctor_hint(d, saved == ENOENT ? "start it: systemctl start cpan-bridge.socket (or "
                                             "cpan-bridge-dev start for a development suite)"
                                           : "check the permissions of the directories on the way");
        check_directory(d);
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        ctl_doctor_report(d, CTL_LEVEL_WARN, "socket", "%s is a symbolic link", d->socket_path);
        ctl_doctor_hint(d, "point --socket or CPAN_BRIDGE_SOCKET at the socket itself");
        if (stat(d->socket_path, &st) < 0) {
            return;
        }
    }
    if (!S_ISSOCK(st.st_mode)) {
        ctl_doctor_report(d, CTL_LEVEL_FAIL, "socket", "%s is %s", d->socket_path,
                          file_kind(st.st_mode));
        ctl_doctor_hint(d, "remove it, then systemctl restart cpan-bridge.socket");
        check_directory(d);
        return;
    }

    d->have_socket_gid = true;
    d->socket_gid = st.st_gid;
    ctl_doctor_report(d, CTL_LEVEL_OK, "socket", "%s is a socket", d->socket_path);
    if (in_temporary_directory(d->socket_path)) {
        ctl_doctor_report(d, CTL_LEVEL_WARN, "socket-place",
                          "%s is in a world-writable temporary directory", d->socket_path);
        ctl_doctor_hint(d, "fine for a test suite; in production use %s", CB_CLIENT_SOCKET_DEFAULT);
    }
    check_owner_and_mode(d, &st);
    check_listening(d);
    check_directory(d);
}
