/* SPDX-License-Identifier: MIT */
/* The office family's handler table. */
#include "services/office/office-internal.h"

/* A workbook's lock may be held by a long write_rows of another session: nothing inline. */
static const struct cb_handler office_handlers[] = {
    { "excel", "create_workbook", office_create_workbook, false },
    { "excel", "add_worksheet", office_add_worksheet, false },
    { "excel", "write_cell", office_write_cell_fn, false },
    { "excel", "write_row", office_write_row, false },
    { "excel", "write_col", office_write_col, false },
    { "excel", "write_rows", office_write_rows, false },
    { "excel", "add_format", office_add_format, false },
    { "excel", "update_format", office_update_format, false },
    { "excel", "set_column", office_set_column, false },
    { "excel", "set_row", office_set_row, false },
    { "excel", "merge_range", office_merge_range, false },
    { "excel", "freeze_panes", office_freeze_panes, false },
    { "excel", "autofilter", office_autofilter, false },
    { "excel", "set_properties", office_set_properties, false },
    { "excel", "save_workbook", office_save_workbook, false },
    { "excel", "discard_workbook", office_discard_workbook, false },
    { "excel", "write_workbook", office_write_workbook, false },
};

const struct cb_family office_family = {
    .name = "office",
    .handlers = office_handlers,
    .n_handlers = CB_ELEMENTSOF(office_handlers),
};
