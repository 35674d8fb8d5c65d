/* SPDX-License-Identifier: MIT */
/* cpan-bridge-core: the core family daemon (and its one-shot mode). */
#include "services/core/core-internal.h"

int main(int argc, char **argv)
{
    return cb_family_main(&core_family, argc, argv);
}
