/* SPDX-License-Identifier: MIT */
/* Starts a daemon the way systemd's socket activation does: fd 3, LISTEN_* and NOTIFY_SOCKET. */
#include "launcher-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cb-log.h"

#define SD_LISTEN_FDS_START 3

/* systemd's exit codes for a failed set-up, so a failure reads the same in the log. */
#define EXIT_CHDIR  200
#define EXIT_FDS    202
#define EXIT_EXEC   203
#define EXIT_GROUP  216
#define EXIT_USER   217
#define EXIT_SIGNAL 210

/* The user an instance becomes, looked up before fork so the child does no NSS work. */
struct spawn_user {
    bool known;
    char name[256];
    char home[1024];
    char shell[256];
    gid_t gid;
};

static void lookup_user(uid_t uid, struct spawn_user *u)
{
    struct passwd *pw = getpwuid(uid);

    *u = (struct spawn_user){ .gid = (gid_t)uid };
    if (!pw) {
        return;
    }
    u->known = true;
    u->gid = pw->pw_gid;
    snprintf(u->name, sizeof u->name, "%s", pw->pw_name);
    snprintf(u->home, sizeof u->home, "%s", pw->pw_dir ? pw->pw_dir : "/");
    snprintf(u->shell, sizeof u->shell, "%s", pw->pw_shell ? pw->pw_shell : "/bin/sh");
}

static CB_NORETURN void child_fail(int code, const char *what, const char *step)
{
    int saved = errno;

    cb_log_error_errno(saved, "cannot start %s: %s", what, step);
    _exit(code);
}

/* Signal dispositions set to "ignore" survive exec; systemd resets them, and so do we. */
static int reset_signals(void)
{
    sigset_t none;

    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            signal(sig, SIG_DFL);
        }
    }
    sigemptyset(&none);
    return sigprocmask(SIG_SETMASK, &none, NULL);
}

static int setup_fds(int listen_fd)
{
    int null_fd;

    if (listen_fd == SD_LISTEN_FDS_START) {
        if (lc_fd_set_cloexec(listen_fd, false) < 0) {
            return -1;
        }
    } else if (dup2(listen_fd, SD_LISTEN_FDS_START) < 0) {
        return -1;
    }
    /* NonBlocking=no: a daemon gets the socket blocking, whatever its last user left set. */
    if (lc_fd_set_nonblock(SD_LISTEN_FDS_START, false) < 0) {
        return -1;
    }
    if (close_range(SD_LISTEN_FDS_START + 1, ~0U, 0) < 0) {
        return -1;
    }

    /* StandardInput=null; stdout and stderr stay the launcher's, as the journal would be. */
    null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0) {
        return -1;
    }
    if (null_fd != STDIN_FILENO) {
        close(null_fd);
    }
    return 0;
}

static int setenv_uint(const char *name, unsigned long long value)
{
    char buf[32];

    snprintf(buf, sizeof buf, "%llu", value);
    return setenv(name, buf, 1);
}

static int setup_env(const struct lc_daemon *d)
{
    const struct launcher *l = d->launcher;
    unsigned long long pid = (unsigned long long)getpid();

    if (setenv("LISTEN_FDS", "1", 1) < 0 || setenv_uint("LISTEN_PID", pid) < 0 ||
        setenv("LISTEN_FDNAMES", d->name, 1) < 0 || setenv("NOTIFY_SOCKET", l->notify_socket, 1)) {
        return -1;
    }
    if (l->opts->watchdog_usec == 0) {
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        return 0;
    }
    if (setenv_uint("WATCHDOG_USEC", l->opts->watchdog_usec) < 0 ||
        setenv_uint("WATCHDOG_PID", pid) < 0) {
        return -1;
    }
    return 0;
}

/* User=%i: supplementary groups, then the group, then the user, in the only order that works. */
static void drop_privileges(const struct lc_daemon *d, const struct spawn_user *u)
{
    int r = u->known ? initgroups(u->name, u->gid) : setgroups(0, NULL);

    if (r < 0 || setgid(u->gid) < 0) {
        child_fail(EXIT_GROUP, d->what, "cannot set the groups");
    }
    if (setuid(d->uid) < 0) {
        child_fail(EXIT_USER, d->what, "cannot set the user");
    }
    if (u->known) {
        setenv("USER", u->name, 1);
        setenv("LOGNAME", u->name, 1);
        setenv("HOME", u->home, 1);
        setenv("SHELL", u->shell, 1);
    }
}

/*
 * CB_DAEMON_WRAPPER, when set, is a command (words split at spaces) that every daemon runs
 * under: make check-valgrind sets it to valgrind. The daemon keeps its pid under valgrind, so
 * LISTEN_PID and the notify socket still match.
 */
static void exec_daemon(const struct lc_daemon *d, const char *const *argv)
{
    const char *wrapper = getenv("CB_DAEMON_WRAPPER");
    const char *words[32];
    char *copy, *save = NULL;
    size_t n = 0;

    if (!wrapper || !*wrapper || !(copy = strdup(wrapper))) {
        execv(d->binary, (char **)argv);
        return;
    }
    for (char *w = strtok_r(copy, " ", &save); w && n < CB_ELEMENTSOF(words) - 4;
         w = strtok_r(NULL, " ", &save)) {
        words[n++] = w;
    }
    for (size_t i = 0; argv[i] && n < CB_ELEMENTSOF(words) - 1; i++) {
        words[n++] = argv[i];
    }
    words[n] = NULL;
    execvp(words[0], (char **)words);
}

static CB_NORETURN void child_exec(const struct lc_daemon *d, const struct spawn_user *u)
{
    const char *argv[] = { d->binary, "--config", d->launcher->conf_path, NULL };

    if (reset_signals() < 0) {
        child_fail(EXIT_SIGNAL, d->what, "cannot reset the signals");
    }
    if (setup_fds(d->listen_fd) < 0) {
        child_fail(EXIT_FDS, d->what, "cannot pass the socket");
    }
    if (setup_env(d) < 0) {
        child_fail(EXIT_EXEC, d->what, "cannot set the environment");
    }
    if (d->drop_privileges) {
        drop_privileges(d, u);
    }
    /* WorkingDirectory= defaults to / for system services. */
    if (chdir("/") < 0) {
        child_fail(EXIT_CHDIR, d->what, "cannot change to /");
    }

    exec_daemon(d, argv);
    child_fail(EXIT_EXEC, d->what, d->binary);
}

int lc_spawn(struct lc_daemon *d, pid_t *ret_pid)
{
    struct spawn_user user = { .known = false };
    pid_t pid;

    if (d->drop_privileges) {
        lookup_user(d->uid, &user);
    }
    fflush(NULL);

    pid = fork();
    if (pid < 0) {
        return -errno;
    }
    if (pid == 0) {
        child_exec(d, &user);
    }
    *ret_pid = pid;
    return 0;
}
