#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Print an .xlsx file as one JSON document, read by openpyxl (Debian's python3-openpyxl), an
independent reader of what the office family writes:

    tests/office/read-xlsx.py FILE
    tests/office/read-xlsx.py --summary FILE REF...   (big files: each sheet's max_row and the
                                                    values of the cells named, read streaming)

{"sheets": [{"name", "freeze", "merged": ["A1:C1"], "autofilter", "widths": {"A": 20.0},
"cells": [{"ref", "value", "type", "number_format", "bold", "italic", "underline",
"font_color", "bg_color", "font_name", "font_size", "align", "wrap", "hyperlink"}]}],
"properties": {"title", "subject", "creator", "company"}}. Dates are ISO 8601 text; a cell's
type is openpyxl's data_type (s, n, b, f, d). Only cells that hold a value are listed.
"""
import datetime
import json
import sys

import openpyxl


def color(c):
    if c is None or c.type != "rgb" or not isinstance(c.rgb, str):
        return None
    return c.rgb[-6:].upper()


def cell_json(c):
    v = c.value
    if isinstance(v, (datetime.datetime, datetime.date)):
        v = v.isoformat()
    return {
        "ref": c.coordinate,
        "value": v,
        "type": c.data_type,
        "number_format": c.number_format,
        "bold": bool(c.font.b),
        "italic": bool(c.font.i),
        "underline": c.font.u,
        "font_color": color(c.font.color),
        "bg_color": color(c.fill.fgColor) if c.fill.fill_type == "solid" else None,
        "font_name": c.font.name,
        "font_size": c.font.sz,
        "align": c.alignment.horizontal,
        "wrap": bool(c.alignment.wrap_text),
        "hyperlink": c.hyperlink.target if c.hyperlink else None,
    }


def summary(path, refs):
    # read_only streams the sheet: a million cells in seconds rather than minutes.
    wb = openpyxl.load_workbook(path, read_only=True)
    out = {"sheets": []}
    for ws in wb.worksheets:
        rows = 0
        wanted = {}
        for row in ws.iter_rows():
            rows += 1
            for c in row:
                if getattr(c, "coordinate", None) in refs:
                    wanted[c.coordinate] = c.value
        out["sheets"].append({"name": ws.title, "max_row": rows, "values": wanted})
    json.dump(out, sys.stdout, ensure_ascii=True)
    sys.stdout.write("\n")


def main():
    if sys.argv[1] == "--summary":
        summary(sys.argv[2], set(sys.argv[3:]))
        return
    wb = openpyxl.load_workbook(sys.argv[1])
    out = {"sheets": [], "properties": {
        "title": wb.properties.title, "subject": wb.properties.subject,
        "creator": wb.properties.creator,
    }}
    for ws in wb.worksheets:
        out["sheets"].append({
            "name": ws.title,
            "freeze": ws.freeze_panes,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "autofilter": ws.auto_filter.ref,
            "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.width},
            "max_row": ws.max_row,
            "cells": [cell_json(c) for row in ws.iter_rows() for c in row if c.value is not None],
        })
    json.dump(out, sys.stdout, ensure_ascii=True)
    sys.stdout.write("\n")


main()
