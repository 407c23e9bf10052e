#!/usr/bin/env python3
"""Copy a ward layer into a new GeoPackage with a population field joined from a CSV.

Usage: /usr/bin/python3 join_population.py WARDS.gpkg CODE_FIELD POP.csv POP_CODE POP_FIELD OUT.gpkg
(Test helper: the ONS ward boundaries and the ward populations come as separate files.)
"""
import csv
import sys

from osgeo import ogr

ogr.UseExceptions()


def main():
    src_path, code, pop_csv, pop_code, pop_field, out_path = sys.argv[1:7]
    with open(pop_csv, newline="", encoding="utf-8-sig") as fh:
        pop = {row[pop_code]: int(row[pop_field]) for row in csv.DictReader(fh)}
    src = ogr.Open(src_path)
    layer = src.GetLayer(0)
    out = ogr.GetDriverByName("GPKG").CreateDataSource(out_path)
    dst = out.CreateLayer(layer.GetName(), layer.GetSpatialRef(), layer.GetGeomType())
    defn = layer.GetLayerDefn()
    for i in range(defn.GetFieldCount()):
        dst.CreateField(defn.GetFieldDefn(i))
    dst.CreateField(ogr.FieldDefn("population", ogr.OFTInteger))
    for f in layer:
        g = ogr.Feature(dst.GetLayerDefn())
        for i in range(defn.GetFieldCount()):
            g.SetField(defn.GetFieldDefn(i).GetName(), f.GetField(i))
        g.SetField("population", pop[f.GetField(code)])
        g.SetGeometry(f.GetGeometryRef())
        dst.CreateFeature(g)
    out = None


if __name__ == "__main__":
    main()
