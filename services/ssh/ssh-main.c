/* SPDX-License-Identifier: MIT */
/* cpan-bridge-ssh: the ssh family daemon (and its one-shot mode). */
#include "services/ssh/ssh-internal.h"

int main(int argc, char **argv)
{
    int r;

    /* Before any thread exists: libssh2_init is not thread-safe. */
    if (libssh2_init(0) != 0) {
        return 1;
    }
    r = cb_family_main(&ssh_family, argc, argv);
    libssh2_exit();
    return r;
}
