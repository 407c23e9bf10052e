/* styles.h - QGIS default styles: fill the QML templates of data/styles/ and store them in a
 * GeoPackage's layer_styles table, so every layer opens styled in QGIS.
 *
 * Templates are QML documents with placeholders: {{NAME}} is replaced by a value, XML-escaped;
 * {{#LIST}} ... {{/LIST}} is repeated once per item of LIST, inside which {{NAME}} looks in the
 * item first, then in the outer values. A placeholder without a value is an error, so the
 * templates and this code cannot drift apart silently. Names are [A-Z0-9_]+.
 *
 * Template per layer (DESIGN.md names): wards_<group>, grid_<group> -> gistar.qml;
 * wards -> wards.qml; incidents -> incidents.qml; hotspot_areas, patrol_areas ->
 * areas_outline.qml; kde_<group> -> kde.qml (for the QGIS project only: QGIS 3.22 does not read
 * raster styles from layer_styles); geocode_failures, run_info -> none.
 *
 * No statistics here: the caller passes the value ranges. Not thread-safe on one dataset.
 */
#ifndef HS_GEO_STYLES_H
#define HS_GEO_STYLES_H

#include "engine/status.h"

#include <gdal.h>
#include <stddef.h>

/* A growing text buffer for XML. A failed allocation sets `failed`; later calls do nothing
 * and hs_xmlbuf_take returns NULL, so writers check once at the end. Zero-initialise it. */
typedef struct hs_xmlbuf {
    char *data; /* text so far, NUL-terminated once anything was added */
    size_t len; /* bytes used, without the NUL */
    size_t cap; /* bytes allocated */
    int failed; /* 1 after an allocation failed */
} hs_xmlbuf;

/* Append n bytes of s. */
void hs_xmlbuf_add(hs_xmlbuf *b, const char *s, size_t n);
/* Append the string s. */
void hs_xmlbuf_puts(hs_xmlbuf *b, const char *s);
/* Append s with & < > " ' replaced by entities (fit for text and attribute values). */
void hs_xmlbuf_escaped(hs_xmlbuf *b, const char *s);
/* Append s as an SQL string literal: in single quotes, quotes inside doubled. */
void hs_xmlbuf_sql_literal(hs_xmlbuf *b, const char *s);
/* Append printf-formatted text. */
void hs_xmlbuf_printf(hs_xmlbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The text (caller frees with free()), or NULL after a failure (the buffer is freed). */
char *hs_xmlbuf_take(hs_xmlbuf *b);

typedef struct hs_style_var {
    const char *name;  /* placeholder name, e.g. "FIELD" */
    const char *value; /* its value, unescaped */
} hs_style_var;

typedef struct hs_style_list {
    const char *name;         /* section name: {{#NAME}} ... {{/NAME}} */
    const hs_style_var *vars; /* n_items * n_vars values, item after item */
    size_t n_items;           /* times the section is repeated */
    size_t n_vars;            /* values per item */
} hs_style_list;

/* Fill template text tmpl (its name, for messages, in tmpl_name). *out receives the result
 * (free()). Fails with HS_EDATA naming the placeholder (unknown value or list, unclosed
 * section, malformed name) or HS_ENOMEM. Thread-safe. */
hs_status hs_style_fill(const char *tmpl, const char *tmpl_name, const hs_style_var *vars,
                        size_t n_vars, const hs_style_list *lists, size_t n_lists, char **out,
                        hs_error *err);

/* Read DATA_DIR/styles/FILE into *text (free()). HS_EDEP when it cannot be read (a missing
 * resource), naming the path. */
hs_status hs_style_read_template(const char *data_dir, const char *file, char **text,
                                 hs_error *err);

/* What a layer's style needs besides its name. Zero-initialise; set what applies. */
typedef struct hs_style_info {
    const char *layer;         /* layer (table) name, e.g. "wards_asb", "kde_violence" */
    const char *count_field;   /* wards: field to grade; NULL = "n_all" */
    double max_count;          /* wards: largest value of count_field (>= 0) */
    const char *const *groups; /* incidents: group names, in job order */
    size_t n_groups;           /* incidents: number of groups */
    double min;                /* kde: lowest value to stretch from */
    double max;                /* kde: highest value to stretch to */
} hs_style_info;

/* The filled QML document for info->layer in *qml (free()), or *qml = NULL when the layer
 * needs no style (attribute tables, unknown names). data_dir holds styles/ (the source tree's
 * data/ or the installed share/hotspot). Errors as hs_style_read_template and hs_style_fill;
 * HS_EINVAL for a non-finite range. */
hs_status hs_style_qml(const char *data_dir, const hs_style_info *info, char **qml, hs_error *err);

/* Store qml as the default style of layer `layer` in the GeoPackage ds (open in update mode):
 * creates layer_styles through OGR on first use (as QGIS does, so it is registered as
 * attributes and validates), replaces an earlier default of that layer, and fills
 * f_table_name = layer, f_geometry_column = the layer's geometry column, styleName = layer,
 * useAsDefault = 1. The layer must exist (HS_EINVAL). HS_EIO with GDAL's message when a write
 * fails. */
hs_status hs_style_write_default(GDALDatasetH ds, const char *layer, const char *qml,
                                 hs_error *err);

#endif
