#!/usr/bin/python3
"""Check that QGIS opens a hotspot GeoPackage styled, and its QGIS projects.

usage: QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/check_styles.py OUT.gpkg
           [--project NAME] [--qgs PATH] [--crs EPSG:27700]

Checks, with QGIS itself (PyQGIS, Debian's /usr/bin/python3):
  * every vector layer (features and attribute tables in gpkg_contents) opens valid; feature
    layers are in the job CRS;
  * every feature layer with a hotspot style has a default row in layer_styles and QGIS loaded
    it: wards_*/grid_* categorised on Gi_Bin with the seven Gi* classes, incidents categorised
    on group_name, wards graduated, hotspot_areas/patrol_areas labelled;
  * the project file (default: NAME.qgs beside the GeoPackage) and the project stored in the
    GeoPackage (default NAME: the GeoPackage's base name) both open every layer of the
    GeoPackage valid, incidents on top, KDE rasters at the bottom with a singlebandpseudocolor
    renderer.
Prints one line per failure and exits 1 if anything failed, 0 otherwise.
"""
import argparse
import os
import sqlite3
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402  (QT_QPA_PLATFORM must be set first)
    QgsApplication,
    QgsMapLayerType,
    QgsProject,
    QgsVectorLayer,
)

# Gi_Bin value -> fill colour of the ArcGIS Hot Spot Analysis classes.
GI_COLOURS = {
    "3": "#d62f27",
    "2": "#ed7551",
    "1": "#fab984",
    "0": "#f7f7f2",
    "-1": "#b5c8e0",
    "-2": "#7590c1",
    "-3": "#4575b5",
}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def gpkg_tables(path):
    """(name, data_type) of every table registered in gpkg_contents, in file order."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        rows = con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall()
        styled = {
            r[0]
            for r in con.execute(
                "SELECT f_table_name FROM layer_styles WHERE useAsDefault = 1"
                " AND f_geometry_column = 'geom'"
            )
        } if any(r[0] == "layer_styles" for r in rows) else set()
    finally:
        con.close()
    return rows, styled


def check_gistar(name, layer, where):
    r = layer.renderer()
    if r.type() != "categorizedSymbol" or r.classAttribute() != "Gi_Bin":
        fail("%s%s: expected categorizedSymbol on Gi_Bin, got %s" % (where, name, r.type()))
        return
    colours = {str(c.value()): c.symbol().color().name() for c in r.categories()}
    for value, colour in GI_COLOURS.items():
        if colours.get(value) != colour:
            fail("%s%s: Gi_Bin %s drawn %s, expected %s"
                 % (where, name, value, colours.get(value), colour))
    labels = [c.label() for c in r.categories()]
    if "Hot spot - 99% confidence" not in labels or "Cold spot - 99% confidence" not in labels:
        fail("%s%s: Gi_Bin category labels missing: %s" % (where, name, labels))


def check_vector_style(name, layer, where=""):
    """The style hotspot gives layer `name` is the one QGIS shows (where: message prefix)."""
    r = layer.renderer()
    if name.startswith("wards_") or name.startswith("grid_"):
        check_gistar(name, layer, where)
    elif name == "incidents":
        if r.type() != "categorizedSymbol" or r.classAttribute() != "group_name":
            fail("%sincidents: expected categorizedSymbol on group_name, got %s"
                 % (where, r.type()))
    elif name == "wards":
        if r.type() != "graduatedSymbol" or not r.ranges():
            fail("%swards: expected graduatedSymbol with classes, got %s" % (where, r.type()))
    elif name in ("hotspot_areas", "patrol_areas"):
        if not layer.labelsEnabled() or layer.labeling() is None:
            fail("%s%s: expected labels" % (where, name))


def check_layers(path, crs, tables, styled):
    for name, data_type in tables:
        if data_type not in ("features", "attributes") or name == "layer_styles":
            continue
        layer = QgsVectorLayer("%s|layername=%s" % (path, name), name, "ogr")
        if not layer.isValid():
            fail("%s: QGIS cannot open the layer" % name)
            continue
        if data_type != "features":
            continue
        if layer.crs().authid() != crs:
            fail("%s: CRS %s, expected %s" % (name, layer.crs().authid(), crs))
        if name not in styled:
            fail("%s: no default style in layer_styles" % name)
            continue
        check_vector_style(name, layer)


def check_project(label, uri, crs, tables):
    project = QgsProject.instance()
    project.clear()
    if not project.read(uri):
        fail("%s: QGIS cannot read the project %s: %s" % (label, uri, project.error()))
        return
    if project.crs().authid() != crs:
        fail("%s: project CRS %s, expected %s" % (label, project.crs().authid(), crs))
    by_name = {l.name(): l for l in project.mapLayers().values()}
    wanted = {n for n, t in tables if n != "layer_styles" and t != "tiles"}
    missing = sorted(wanted - set(by_name))
    if missing:
        fail("%s: layers missing from the project: %s" % (label, ", ".join(missing)))
    for name, layer in sorted(by_name.items()):
        if not layer.isValid():
            fail("%s: layer %s is not valid (source %s)" % (label, name, layer.source()))
            continue
        if layer.type() == QgsMapLayerType.RasterLayer and name.startswith("kde_"):
            kind = layer.renderer().type() if layer.renderer() else None
            if kind != "singlebandpseudocolor":
                fail("%s: %s renderer %s, expected singlebandpseudocolor" % (label, name, kind))
        if layer.type() == QgsMapLayerType.VectorLayer and layer.isSpatial():
            check_vector_style(name, layer, label + ": ")
    order = [l.name() for l in project.layerTreeRoot().layerOrder()]
    if "incidents" in order and order[0] != "incidents":
        fail("%s: incidents should be drawn on top, order is %s" % (label, order))
    kde = [i for i, n in enumerate(order) if n.startswith("kde_")]
    fills = [i for i, n in enumerate(order) if n.startswith(("wards", "grid_"))]
    if kde and fills and max(kde) > min(fills):
        fail("%s: KDE rasters should be drawn above the ward and grid fills, order is %s"
             % (label, order))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gpkg")
    ap.add_argument("--project", help="project name (default: the GeoPackage's base name)")
    ap.add_argument("--qgs", help="project file (default: NAME.qgs beside the GeoPackage)")
    ap.add_argument("--crs", default="EPSG:27700")
    args = ap.parse_args()
    path = os.path.abspath(args.gpkg)
    name = args.project or os.path.splitext(os.path.basename(path))[0]
    qgs = args.qgs or os.path.join(os.path.dirname(path), name + ".qgs")

    app = QgsApplication([], False)
    app.initQgis()
    try:
        tables, styled = gpkg_tables(path)
        check_layers(path, args.crs, tables, styled)
        check_project("project file", qgs, args.crs, tables)
        check_project(
            "project in GeoPackage", "geopackage:%s?projectName=%s" % (path, name), args.crs,
            tables,
        )
    except Exception as e:  # report, never a silent pass
        fail("exception: %r" % (e,))
    finally:
        QgsProject.instance().clear()
        app.exitQgis()
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all QGIS checks passed for %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
