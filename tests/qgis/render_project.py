#!/usr/bin/env python3
"""Render a hotspot QGIS project (the .qgs written beside the GeoPackage) to a PNG, headless.

Usage: QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/render_project.py PROJECT.qgs OUT.png [WIDTH]
Used for the README picture and to look at what a GIS user sees when opening the project.
"""
import sys

from qgis.core import (QgsApplication, QgsMapRendererParallelJob, QgsMapSettings, QgsProject,
                       QgsRectangle)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    qgs, out = sys.argv[1], sys.argv[2]
    width = int(sys.argv[3]) if len(sys.argv) > 3 else 1200
    app = QgsApplication([], False)
    app.initQgis()
    project = QgsProject.instance()
    if not project.read(qgs):
        print(f"cannot read {qgs}", file=sys.stderr)
        return 1
    root = project.layerTreeRoot()
    layers = [node.layer() for node in root.findLayers() if node.isVisible() and node.layer()]
    layers = [layer for layer in layers if layer.isSpatial()]
    extent = QgsRectangle()
    extent.setMinimal()
    for layer in layers:
        if layer.name().startswith("wards"):
            extent.combineExtentWith(layer.extent())
    if extent.isEmpty():
        for layer in layers:
            extent.combineExtentWith(layer.extent())
    extent.scale(1.03)
    height = int(width * extent.height() / extent.width())
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(project.crs())
    settings.setExtent(extent)
    settings.setOutputSize(QSize(width, height))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(out, "png")
    print(f"{out}: {width} x {height}, layers: {', '.join(layer.name() for layer in layers)}")
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
