/* SPDX-License-Identifier: MIT */
/* cpan-bridge-office: the office family daemon (and its one-shot mode). */
#include "services/office/office-internal.h"

int main(int argc, char **argv)
{
    return cb_family_main(&office_family, argc, argv);
}
