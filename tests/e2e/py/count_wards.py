#!/usr/bin/env python3
"""Independent per-ward counts of police.uk rows, with GDAL's Python bindings only.

Usage: /usr/bin/python3 count_wards.py WARDS.gpkg CODE_FIELD CSV... > counts.tsv
Reads the CSVs with Python's csv module, transforms lon/lat to EPSG:27700 with osr and counts
the points inside each ward polygon (OGR Intersects on the made-valid polygon, so points on
a border are counted in every ward they touch; the script reports such points apart).
Prints "ward_code<TAB>count" sorted by code, then "#border<TAB>n" and "#outside<TAB>n".
Shares no code with hotspot: a check of its ingest, PROJ placement and ward assignment.
"""
import csv
import sys

from osgeo import ogr, osr

ogr.UseExceptions()
osr.UseExceptions()


def main():
    wards_path, code_field, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    ds = ogr.Open(wards_path)
    layer = ds.GetLayer(0)
    wards = []
    for f in layer:
        g = f.GetGeometryRef().Clone()
        if not g.IsValid():
            g = g.MakeValid()
        wards.append((f.GetField(code_field), g, g.GetEnvelope()))
    src = osr.SpatialReference()
    src.ImportFromEPSG(4326)
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    dst = layer.GetSpatialRef()
    dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(src, dst)
    counts = {code: 0 for code, _, _ in wards}
    border = outside = 0
    for path in files:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                if not row["Longitude"] or not row["Latitude"]:
                    continue
                x, y, _ = ct.TransformPoint(float(row["Longitude"]), float(row["Latitude"]))
                pt = ogr.Geometry(ogr.wkbPoint)
                pt.AddPoint_2D(x, y)
                hits = [code for code, g, (x0, x1, y0, y1) in wards
                        if x0 <= x <= x1 and y0 <= y <= y1 and g.Intersects(pt)]
                if not hits:
                    outside += 1
                    continue
                if len(hits) > 1:
                    border += 1
                counts[hits[0]] += 1
    for code in sorted(counts):
        print(f"{code}\t{counts[code]}")
    print(f"#border\t{border}")
    print(f"#outside\t{outside}")


if __name__ == "__main__":
    main()
