#!/usr/bin/env python3
r"""Render a hotspot QGIS project (the .qgs written beside the GeoPackage) to a PNG, headless.

Usage: QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/render_project.py PROJECT.qgs OUT.png
           [WIDTH] [--hide GLOB]... [--only GLOB]...
WIDTH is in pixels (default 1200); the height follows the map's extent (the wards layers',
padded by 3 %). --hide leaves out the visible layers whose names match a shell pattern (e.g.
'grid_*'); --only keeps just the matching ones. Used to look at what a GIS user sees when
opening the project, and for the README picture, from the demo output (`hotspot run`):
  QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/render_project.py out/demo/hotspots.qgs \
      data/images/qgis_view.png 800
"""
import argparse
import fnmatch
import sys

from qgis.core import (QgsApplication, QgsMapRendererParallelJob, QgsMapSettings, QgsProject,
                       QgsRectangle)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def parse_args(argv):
    p = argparse.ArgumentParser(description="Render a QGIS project to a PNG.")
    p.add_argument("project", help="the .qgs file")
    p.add_argument("out", help="the PNG to write")
    p.add_argument("width", nargs="?", type=int, default=1200, help="width in pixels")
    p.add_argument("--hide", action="append", default=[], metavar="GLOB",
                   help="leave out the layers whose names match (repeatable)")
    p.add_argument("--only", action="append", default=[], metavar="GLOB",
                   help="keep only the layers whose names match (repeatable)")
    return p.parse_args(argv)


def matches(name, patterns):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def chosen_layers(project, hide, only):
    """The visible spatial layers of the project, top first, filtered by --hide/--only."""
    root = project.layerTreeRoot()
    layers = [node.layer() for node in root.findLayers() if node.isVisible() and node.layer()]
    layers = [layer for layer in layers if layer.isSpatial()]
    layers = [layer for layer in layers if not matches(layer.name(), hide)]
    if only:
        layers = [layer for layer in layers if matches(layer.name(), only)]
    return layers


def map_extent(layers):
    """The wards layers' extent (all layers' when there is none), padded by 3 %."""
    extent = QgsRectangle()
    extent.setMinimal()
    for layer in layers:
        if layer.name().startswith("wards"):
            extent.combineExtentWith(layer.extent())
    if extent.isEmpty():
        for layer in layers:
            extent.combineExtentWith(layer.extent())
    extent.scale(1.03)
    return extent


def main(argv):
    args = parse_args(argv)
    app = QgsApplication([], False)
    app.initQgis()
    project = QgsProject.instance()
    if not project.read(args.project):
        print(f"cannot read {args.project}", file=sys.stderr)
        return 1
    layers = chosen_layers(project, args.hide, args.only)
    if not layers:
        print(f"{args.project}: no layer left to draw", file=sys.stderr)
        return 1
    extent = map_extent(layers)
    height = int(args.width * extent.height() / extent.width())
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(project.crs())
    settings.setExtent(extent)
    settings.setOutputSize(QSize(args.width, height))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    if not job.renderedImage().save(args.out, "png"):
        print(f"cannot write {args.out}", file=sys.stderr)
        return 1
    print(f"{args.out}: {args.width} x {height}, layers: "
          f"{', '.join(layer.name() for layer in layers)}")
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
