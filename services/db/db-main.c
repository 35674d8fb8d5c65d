/* SPDX-License-Identifier: MIT */
/* cpan-bridge-db: the database family daemon (and its one-shot mode). */
#include "services/db/db-internal.h"

int main(int argc, char **argv)
{
    return cb_family_main(&db_family, argc, argv);
}
