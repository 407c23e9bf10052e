/* demo.c - the demo district written as real-world files (see demo.h). */
#include "cli/demo.h"

#include "cli/fsutil.h"
#include "geo/gazetteer.h"
#include "geo/gpkg.h"
#include "geo/transform.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <errno.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const outcomes[] = {"Investigation complete; no suspect identified",
                                       "Unable to prosecute suspect", "Under investigation",
                                       "Awaiting court outcome", "Local resolution",
                                       "Offender given a caution"};

hs_status hs_demo_incident_lonlat(const hs_synth_district *d, double **lon, double **lat,
                                  hs_error *err)
{
    size_t n = d->nincidents;
    double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return HS_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        x[i] = d->incidents[i].x;
        y[i] = d->incidents[i].y;
    }
    hs_status st = hs_transform_points("EPSG:27700", "EPSG:4326", x, y, x, y, n, NULL, NULL, err);
    if (st != HS_OK) {
        free(x);
        free(y);
        return st;
    }
    *lon = x;
    *lat = y;
    return HS_OK;
}

/* One police.uk row (CRLF line end, as data.police.uk writes them). */
static void police_row(FILE *f, const hs_synth_district *d, size_t i, double lon, double lat)
{
    const hs_synth_incident *inc = &d->incidents[i];
    const char *cat = hs_synth_categories[inc->category];
    int asb = inc->category == 0;
    char id[65] = "";
    if (!asb)
        hs_synth_crime_id(d, i, id);
    char month[16];
    snprintf(month, sizeof month, "%04d-%02d", d->params.year, inc->month);
    const hs_synth_place *pl = inc->place >= 0 ? &d->places[inc->place] : NULL;
    const hs_synth_lsoa *ls = pl ? &d->lsoas[pl->lsoa] : NULL;
    const char *outcome = asb ? "" : outcomes[i % (sizeof outcomes / sizeof outcomes[0])];
    switch ((hs_synth_row_kind)inc->kind) {
    case HS_SYNTH_ROW_NORMAL:
        fprintf(f, "%s,%s,Kent Police,Kent Police,%.6f,%.6f,On or near %s,%s,%s,%s,%s,\r\n", id,
                month, lon, lat, pl->name, ls->code, ls->name, cat, outcome);
        break;
    case HS_SYNTH_ROW_TEXT_ONLY:
        fprintf(f, "%s,%s,Kent Police,Kent Police,,,On or near %s,%s,%s,%s,%s,\r\n", id, month,
                pl->name, ls->code, ls->name, cat, outcome);
        break;
    case HS_SYNTH_ROW_NO_LOCATION:
        fprintf(f, "%s,%s,Kent Police,Kent Police,,,No Location,,,%s,%s,\r\n", id, month, cat,
                outcome);
        break;
    case HS_SYNTH_ROW_OUTSIDE:
        fprintf(f,
                "%s,%s,Kent Police,Kent Police,%.6f,%.6f,On or near Faversham Road,E01024%03zu,"
                "Swale %03zuB,%s,%s,\r\n",
                id, month, lon, lat, i % 1000, 1 + i % 20, cat, outcome);
        break;
    case HS_SYNTH_ROW_RAGGED:
        fprintf(f, "%s,%s,Kent Police,Kent Police,%.6f,%.6f,On or near %s\r\n", id, month, lon,
                lat, pl->name);
        break;
    case HS_SYNTH_ROW_BAD_NUMBER:
        fprintf(f, "%s,%s,Kent Police,Kent Police,%.3fx,%.6f,On or near %s,%s,%s,%s,%s,\r\n", id,
                month, lon, lat, pl->name, ls->code, ls->name, cat, outcome);
        break;
    case HS_SYNTH_ROW_SWAPPED:
        fprintf(f, "%s,%s,Kent Police,Kent Police,%.6f,%.6f,On or near %s,%s,%s,%s,%s,\r\n", id,
                month, lat, lon, pl->name, ls->code, ls->name, cat, outcome);
        break;
    case HS_SYNTH_ROW_BAD_UTF8:
        fprintf(f,
                "%s,%s,Kent Police,Kent Police,%.6f,%.6f,On or near Caf\xe9 %s,%s,%s,%s,%s,\r\n",
                id, month, lon, lat, pl->name, ls->code, ls->name, cat, outcome);
        break;
    }
}

hs_status hs_demo_write_police_month(FILE *f, const hs_synth_district *d, int month,
                                     const double *inc_lon, const double *inc_lat, int header,
                                     hs_error *err)
{
    (void)err;
    if (header)
        fputs("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
              "LSOA name,Crime type,Last outcome category,Context\r\n",
              f);
    for (size_t i = 0; i < d->nincidents; i++)
        if (d->incidents[i].month == month)
            police_row(f, d, i, inc_lon[i], inc_lat[i]);
    return ferror(f) ? HS_EIO : HS_OK;
}

static hs_status open_out(const char *dir, const char *name, FILE **f, char *path, size_t n,
                          hs_error *err)
{
    snprintf(path, n, "%s/%s", dir, name);
    hs_status st = hs_make_parent_dirs(path, err);
    if (st != HS_OK)
        return st;
    *f = fopen(path, "wb");
    if (*f == NULL)
        return hs_error_set(err, HS_EIO, path, 0, 0, "cannot create: %s", strerror(errno));
    return HS_OK;
}

static hs_status close_out(FILE *f, const char *path, hs_error *err)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return hs_error_set(err, HS_EIO, path, 0, 0, "write error");
    return HS_OK;
}

static hs_status write_police(const char *dir, const hs_synth_district *d, hs_error *err)
{
    double *lon = NULL, *lat = NULL;
    hs_status st = hs_demo_incident_lonlat(d, &lon, &lat, err);
    for (int m = 1; m <= 12 && st == HS_OK; m++) {
        char name[128], path[4096];
        snprintf(name, sizeof name, "incidents/%04d-%02d-demo-street.csv", d->params.year, m);
        FILE *f;
        st = open_out(dir, name, &f, path, sizeof path, err);
        if (st != HS_OK)
            break;
        st = hs_demo_write_police_month(f, d, m, lon, lat, 1, err);
        hs_status c = close_out(f, path, err);
        if (st == HS_OK)
            st = c;
    }
    free(lon);
    free(lat);
    return st;
}

/* Swap two neighbouring letters of the first word longer than 4 letters (a typo). */
static void make_typo(const char *in, char *out, size_t n)
{
    snprintf(out, n, "%s", in);
    size_t len = strlen(out);
    for (size_t i = 1; i + 2 < len; i++) {
        if (out[i] >= 'a' && out[i] <= 'z' && out[i + 1] >= 'a' && out[i + 1] <= 'z' &&
            out[i] != out[i + 1]) {
            char t = out[i];
            out[i] = out[i + 1];
            out[i + 1] = t;
            return;
        }
    }
}

static hs_status write_council(const char *dir, const hs_synth_district *d, hs_error *err)
{
    char path[4096];
    FILE *f;
    hs_status st = open_out(dir, "council/asb_reports.csv", &f, path, sizeof path, err);
    if (st != HS_OK)
        return st;
    fputs("Reference,Date Reported,Category,Address,Postcode\n", f);
    for (size_t i = 0; i < d->ncouncil; i++) {
        const hs_synth_council_row *c = &d->council[i];
        const hs_synth_place *pl = &d->places[c->place];
        const char *pc = c->postcode >= 0 ? d->postcodes[c->postcode].code : "";
        char street[80], address[256];
        snprintf(street, sizeof street, "%s", pl->name);
        switch ((hs_synth_council_kind)c->kind) {
        case HS_SYNTH_COUNCIL_POSTCODE:
            snprintf(address, sizeof address, "%u %s, %s", c->house, street, pl->locality);
            break;
        case HS_SYNTH_COUNCIL_POSTCODE_IN_TEXT:
            snprintf(address, sizeof address, "%u %s, %s %s", c->house, street, pl->locality, pc);
            pc = "";
            break;
        case HS_SYNTH_COUNCIL_STREET_ONLY:
            snprintf(address, sizeof address, "%s, %s", street, pl->locality);
            pc = "";
            break;
        case HS_SYNTH_COUNCIL_TYPO:
            make_typo(pl->name, street, sizeof street);
            snprintf(address, sizeof address, "%s, %s", street, pl->locality);
            pc = "";
            break;
        case HS_SYNTH_COUNCIL_UNKNOWN:
            snprintf(address, sizeof address, "Flat %u, Lyonesse Court, Atlantis", c->house);
            pc = "";
            break;
        }
        fprintf(f, "ASB-%04d-%05zu,%02u/%02u/%04d,Anti-social behaviour,\"%s\",%s\n",
                d->params.year, i + 1, c->day, c->month, d->params.year, address, pc);
    }
    return close_out(f, path, err);
}

static hs_status write_codepoint(const char *dir, const hs_synth_district *d, hs_error *err)
{
    char path[4096];
    FILE *f;
    hs_status st = open_out(dir, "gazetteer/codepoint_demo.csv", &f, path, sizeof path, err);
    if (st != HS_OK)
        return st;
    for (size_t i = 0; i < d->npostcodes; i++) {
        const hs_synth_postcode *p = &d->postcodes[i];
        fprintf(f,
                "\"%s\",10,%.0f,%.0f,\"E92000001\",\"E19000002\",\"E18000008\",\"E10000016\","
                "\"E07000106\",\"E05099%03d\"\r\n",
                p->code, p->x, p->y, d->places[p->place].ward + 1);
    }
    return close_out(f, path, err);
}

static const char *outward(const char *pc, char *buf, size_t n)
{
    const char *sp = strchr(pc, ' ');
    snprintf(buf, n, "%.*s", (int)(sp ? sp - pc : (long)strlen(pc)), pc);
    return buf;
}

static hs_status write_open_names(const char *dir, const hs_synth_district *d, hs_error *err)
{
    char path[4096];
    FILE *f;
    hs_status st = open_out(dir, "gazetteer/open_names_demo.csv", &f, path, sizeof path, err);
    if (st != HS_OK)
        return st;
    fputs("\xEF\xBB\xBF", f);
    static const char *const tail =
        "Canterbury,http://data.ordnancesurvey.co.uk/id/7000000000018139,"
        "http://data.ordnancesurvey.co.uk/ontology/admingeo/District,Kent,"
        "http://data.ordnancesurvey.co.uk/id/7000000000018210,"
        "http://data.ordnancesurvey.co.uk/ontology/admingeo/County,South East,"
        "http://data.ordnancesurvey.co.uk/id/7000000000041421,England,"
        "http://data.ordnancesurvey.co.uk/id/country/england,,,";
    size_t id = 0;
    for (size_t i = 0; i < d->nplaces; i++) {
        const hs_synth_place *pl = &d->places[i];
        if (pl->kind == HS_SYNTH_POI)
            continue; /* OS Open Names does not list police.uk's generic places */
        int street = pl->kind == HS_SYNTH_STREET;
        /* The postcode district of the street: from its first postcode. */
        char od[16] = "CT1";
        for (size_t k = 0; k < d->npostcodes; k++)
            if (d->postcodes[k].place == (int)i) {
                outward(d->postcodes[k].code, od, sizeof od);
                break;
            }
        fprintf(f,
                "osgb90%014zu,http://data.ordnancesurvey.co.uk/id/90%014zu,%s,,,,%s,%s,%.0f,%.0f,"
                "%d,%d,%.0f,%.0f,%.0f,%.0f,%s,"
                "http://data.ordnancesurvey.co.uk/id/postcodedistrict/%s,%s,"
                "http://data.ordnancesurvey.co.uk/id/90%014zu,"
                "http://www.ordnancesurvey.co.uk/xml/codelists/localtype.xml#%s,%s\n",
                id, id, pl->name, street ? "transportNetwork" : "populatedPlace",
                street ? "Named Road" : (strcmp(pl->name, "Canterbury") == 0 ? "City" : "Town"),
                pl->x, pl->y, street ? 1000 : 2000, street ? 20000 : 250000, pl->xmin, pl->ymin,
                pl->xmax, pl->ymax, od, od, pl->locality, id + 1,
                street ? "town" : "city", tail);
        id++;
    }
    for (size_t i = 0; i < d->npostcodes; i++) {
        const hs_synth_postcode *p = &d->postcodes[i];
        char compact[16], od[16];
        size_t o = 0;
        for (const char *c = p->code; *c && o + 1 < sizeof compact; c++)
            if (*c != ' ')
                compact[o++] = *c;
        compact[o] = '\0';
        fprintf(f,
                "%s,http://data.ordnancesurvey.co.uk/id/postcodeunit/%s,%s,,,,other,Postcode,"
                "%.0f,%.0f,3500,18000,,,,,,,%s,http://data.ordnancesurvey.co.uk/id/90%014zu,"
                "http://www.ordnancesurvey.co.uk/xml/codelists/localtype.xml#town,%s\n",
                compact, compact, p->code, p->x, p->y, d->places[p->place].locality, i,
                tail);
        (void)od;
    }
    return close_out(f, path, err);
}

static hs_status write_wards(const char *dir, const hs_synth_district *d, hs_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/wards.gpkg", dir);
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (drv == NULL)
        return hs_error_set(err, HS_EDEP, NULL, 0, 0, "GDAL has no GPKG driver");
    VSIUnlink(path);
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    if (ds == NULL)
        return hs_error_set(err, HS_EIO, path, 0, 0, "cannot create: %s", CPLGetLastErrorMsg());
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 27700);
    hs_status st = HS_OK;
    OGRLayerH l = GDALDatasetCreateLayer(ds, "wards", srs, wkbPolygon, NULL);
    if (l == NULL) {
        st = hs_error_set(err, HS_EIO, path, 0, 0, "cannot create layer: %s",
                          CPLGetLastErrorMsg());
        goto done;
    }
    static const char *const names[] = {"ward_code", "ward_name"};
    for (int k = 0; k < 2; k++) {
        OGRFieldDefnH fd = OGR_Fld_Create(names[k], OFTString);
        OGR_L_CreateField(l, fd, 1);
        OGR_Fld_Destroy(fd);
    }
    OGRFieldDefnH fp = OGR_Fld_Create("population", OFTInteger);
    OGR_L_CreateField(l, fp, 1);
    OGR_Fld_Destroy(fp);
    GDALDatasetStartTransaction(ds, 0);
    for (size_t k = 0; k < d->nwards && st == HS_OK; k++) {
        const hs_synth_ward *w = &d->wards[k];
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        OGR_F_SetFieldString(f, 0, w->code);
        OGR_F_SetFieldString(f, 1, w->name);
        OGR_F_SetFieldInteger(f, 2, (int)w->population);
        OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
        for (size_t i = 0; i < w->nring; i++)
            OGR_G_AddPoint_2D(ring, w->ring_x[i], w->ring_y[i]);
        OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
        OGR_G_AddGeometryDirectly(poly, ring);
        OGR_F_SetGeometryDirectly(f, poly);
        if (OGR_L_CreateFeature(l, f) != OGRERR_NONE)
            st = hs_error_set(err, HS_EIO, path, 0, 0, "cannot write ward %s", w->code);
        OGR_F_Destroy(f);
    }
    GDALDatasetCommitTransaction(ds);
done:
    OSRDestroySpatialReference(srs);
    GDALClose(ds);
    return st;
}

/* The demo gazetteer, built by the same code as `hotspot gazetteer build`, from the
 * generated Code-Point and Open Names extracts and the police files' snap points. */
static hs_status build_gazetteer(const char *dir, const hs_synth_district *d, hs_error *err)
{
    char pc[4200], names[4200], gaz[4200];
    snprintf(pc, sizeof pc, "%s/gazetteer/codepoint_demo.csv", dir);
    snprintf(names, sizeof names, "%s/gazetteer/open_names_demo.csv", dir);
    snprintf(gaz, sizeof gaz, "%s/gazetteer.sqlite", dir);
    char months[12][4200];
    hs_gazetteer_input in[14];
    in[0] = (hs_gazetteer_input){HS_GAZ_INPUT_POSTCODES, pc};
    in[1] = (hs_gazetteer_input){HS_GAZ_INPUT_STREETS, names};
    for (int m = 0; m < 12; m++) {
        snprintf(months[m], sizeof months[m], "%s/incidents/%04d-%02d-demo-street.csv", dir,
                 d->params.year, m + 1);
        in[2 + m] = (hs_gazetteer_input){HS_GAZ_INPUT_SNAP_POINTS, months[m]};
    }
    return hs_gazetteer_build(gaz, in, 14, NULL, err);
}

hs_status hs_demo_write(const char *out, const hs_synth_district *d, hs_error *err)
{
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/x", out);
    hs_status st = hs_make_parent_dirs(probe, err);
    if (st == HS_OK)
        st = write_wards(out, d, err);
    if (st == HS_OK)
        st = write_police(out, d, err);
    if (st == HS_OK)
        st = write_council(out, d, err);
    if (st == HS_OK)
        st = write_codepoint(out, d, err);
    if (st == HS_OK)
        st = write_open_names(out, d, err);
    if (st == HS_OK)
        st = build_gazetteer(out, d, err);
    return st;
}

hs_status hs_demo_ensure(const char *dir, const hs_synth_params *params, int *made,
                         hs_error *err)
{
    if (made)
        *made = 0;
    char final[4096], marker[4200], tmp[4096];
    snprintf(final, sizeof final, "%s/generated", dir);
    snprintf(marker, sizeof marker, "%s/COMPLETE", final);
    struct stat sb;
    if (stat(marker, &sb) == 0)
        return HS_OK;
    snprintf(tmp, sizeof tmp, "%s/.generated.tmp-%ld", dir, (long)getpid());
    hs_remove_tree(tmp);
    hs_synth_district *d = NULL;
    hs_status st = hs_synth_generate(params, &d, err);
    if (st == HS_OK)
        st = hs_demo_write(tmp, d, err);
    hs_synth_free(d);
    if (st == HS_OK) {
        char m2[4200];
        snprintf(m2, sizeof m2, "%s/COMPLETE", tmp);
        FILE *f = fopen(m2, "w");
        if (f == NULL || fprintf(f, "generated by hotspot demo writer, seed %llu\n",
                                 (unsigned long long)params->seed) < 0 || fclose(f) != 0)
            st = hs_error_set(err, HS_EIO, m2, 0, 0, "cannot write the marker file");
    }
    if (st == HS_OK) {
        hs_remove_tree(final);
        if (rename(tmp, final) != 0)
            st = hs_error_set(err, HS_EIO, final, 0, 0, "cannot move %s into place: %s", tmp,
                              strerror(errno));
    }
    if (st != HS_OK)
        hs_remove_tree(tmp);
    else if (made)
        *made = 1;
    return st;
}
