/* commands.c - the hotspot command table: one entry per command drives parsing, dispatch
 * and --help. Common options (--threads, -q, -v, --progress, --help, --version) are taken
 * before or after the command name. Results go to stdout, logs to stderr. */
#include "cli/commands.h"

#include "cli/commands_impl.h"
#include "cli/job.h"
#include "cli/log.h"
#include "geo/versions.h"

#include <gdal.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_help(int argc, char **argv);

static const hs_command commands[] = {
    {"run", "run the nightly job (without JOB: the demo job data/demo/job.ini)",
     "hotspot run [JOB.ini] [common options]\n"
     "\n"
     "Reads the job file (see `hotspot help job`), runs every stage and writes the\n"
     "GeoPackage named by [job] output. Without JOB it runs the demo job data/demo/job.ini,\n"
     "generating its input files first when they are missing.\n",
     hs_cmd_run},
    {"gazetteer", "build the geocoding gazetteer from postcode, street and police.uk files",
     "hotspot gazetteer build -o GAZ.sqlite [--postcodes FILE]... [--streets FILE]...\n"
     "                        [--snap-points FILE]...\n"
     "\n"
     "  --postcodes FILE    OS Code-Point Open (headerless or with its header) or the ONS\n"
     "                      Postcode Directory (header with pcds, oseast1m, osnrth1m)\n"
     "  --streets FILE      OS Open Names (headerless or with its header, UTF-8 BOM allowed)\n"
     "  --snap-points FILE  past police.uk street-level CSVs: learns \"On or near\" texts\n"
     "                      and their published points per LSOA\n"
     "Each flag is repeated once per file. The gazetteer is written atomically; bad rows are\n"
     "reported with file and line and skipped.\n",
     hs_cmd_gazetteer},
    {"geocode", "read incidents and place them: coordinates, then postcode, street, place",
     "hotspot geocode INPUT... -o OUT.gpkg [--gazetteer GAZ.sqlite] [--crs EPSG:27700]\n"
     "                [--id F] [--date F] [--category F] [--x F --y F [--source-crs CRS]]\n"
     "                [--address F] [--postcode F] [--lsoa F] [--layer NAME] [--weight F]\n"
     "                [--wards FILE --ward-code F [--ward-layer L]] [--min-hit-rate 0.85]\n"
     "\n"
     "Reads police.uk CSVs (no mapping needed), other CSVs (columns mapped by the options or\n"
     "recognised by name) or any OGR source, places every row (given coordinates, validated\n"
     "and transformed with PROJ; else the gazetteer cascade) and writes the layers incidents\n"
     "and geocode_failures (every row that could not be placed, with the reason) and run_info.\n"
     "With --wards, rows outside every ward are counted apart and not written. Prints the hit\n"
     "rate, placed / (placed + failed), overall and per method; exits 6 below --min-hit-rate.\n",
     hs_cmd_geocode},
    {"kde", "kernel density surface of incident points (GeoTIFF or GeoPackage raster)",
     "hotspot kde INPUT -o OUT.tif|OUT.gpkg --radius M|auto --cell M [options]\n"
     "\n"
     "INPUT: a police.uk CSV, a CSV with x/y (easting/northing) or longitude/latitude columns,\n"
     "or any OGR point source. Rows are placed by their coordinates; rows that cannot be placed\n"
     "are counted and listed on stderr. Density is in incidents per km2 at cell centres,\n"
     "counting points with distance < r (the gaussian: r is its standard deviation, cut at 4 r).\n"
     "\n"
     "  -o, --output OUT       .tif: Float32 GeoTIFF; .gpkg: raster table kde_<group>\n"
     "  --radius M|auto        bandwidth in metres; auto: ArcGIS's default-bandwidth rule\n"
     "  --cell M               cell size in metres; cells are aligned to multiples of M\n"
     "  --kernel NAME          quartic (default), epanechnikov, triangular, uniform,\n"
     "                         triweight, gaussian\n"
     "  --weight FIELD         numeric column >= 0 weighting each point (empty = 1)\n"
     "  --scale density|raw    incidents per km2 (default), or QGIS's raw sum of k(d/r)\n"
     "  --extent XMIN,YMIN,XMAX,YMAX   grid extent in metres of --crs (widened outwards to\n"
     "                         whole cells); default: the points' extent (or --mask's) padded\n"
     "                         by the kernel's reach\n"
     "  --layer NAME           layer of INPUT (default: the first)\n"
     "  --crs CRS              projected CRS in metres of the output (default EPSG:27700)\n"
     "  --group NAME           names the GeoPackage raster kde_NAME (default all)\n"
     "  --hot-threshold sd:K|top:N   also write hot areas (cells above mean + K sd of the\n"
     "                         non-zero cells, or the top N percent) as layer hotspot_areas\n"
     "                         (needs .gpkg)\n"
     "  --mask POLYGONS        study area: cells whose centre is outside every polygon are\n"
     "                         nodata; points outside are counted and left out\n"
     "  --mask-code FIELD      the polygons' code field (default: detected)\n"
     "  --mask-layer NAME      layer of POLYGONS (default: the first)\n"
     "Prints the output path on stdout.\n",
     hs_cmd_kde},
    {"gistar", "Getis-Ord Gi* hot and cold spots of polygons or points with a value",
     "hotspot gistar INPUT -o OUT.gpkg|OUT.csv --value FIELD [options]\n"
     "\n"
     "INPUT: polygons (wards) or points (e.g. a CSV of cell centres with x/y columns) with a\n"
     "numeric field >= 0. Prints n, islands, global Moran's I (is there clustering at all?)\n"
     "and the hot and cold spots on stderr.\n"
     "\n"
     "  -o, --output OUT       .csv: one row per unit: id, value, GiZScore, GiPValue,\n"
     "                         GiQValue, Gi_Bin, NNeighbors (GiPseudoP with --permutations);\n"
     "                         .gpkg: the same fields on the input geometries\n"
     "  --value FIELD          the analysed count or value (>= 0)\n"
     "  --id FIELD             unit id (default: the first text field, else the feature number)\n"
     "  --layer NAME           layer of INPUT (default: the first)\n"
     "  --weights W            queen (default for polygons) | rook | distance:D (metres,\n"
     "                         on centroids or points, d <= D) | knn:K\n"
     "  --snap M               queen/rook: polygons within M metres touch (default 1)\n"
     "  --permutations N       conditional permutations (0..99999, default 0): their folded\n"
     "                         pseudo p goes to GiPseudoP; GiPValue stays the normal p of z\n"
     "  --seed S               permutation seed (default 1); same results at any --threads\n"
     "  --fdr                  Gi_Bin from GiQValue (Benjamini-Hochberg) instead of GiPValue\n"
     "  --population FIELD     analyse rates per 1,000 residents: value * 1000 / FIELD\n"
     "  --alpha A              significance level of the summary (default 0.05)\n"
     "  --crs CRS              projected CRS in metres for distances (default EPSG:27700)\n"
     "Islands (no neighbour but themselves) get empty statistics and NNeighbors 0.\n",
     hs_cmd_gistar},
    {"grid", "incident counts and Gi* per fishnet cell (GeoPackage layer grid_<group>)",
     "hotspot grid INPUT -o OUT.gpkg --cell M --band D|auto [options]\n"
     "\n"
     "Counts placed incident points per square cell of M metres (aligned to multiples of M)\n"
     "over the study area and computes Getis-Ord Gi* per cell with a circular distance band\n"
     "(cells whose centres are within D metres, the cell itself included). Writes the styled\n"
     "polygon layer grid_<group>: cell_id, n, GiZScore, GiPValue, GiQValue, Gi_Bin, NNeighbors.\n"
     "\n"
     "  -o, --output OUT.gpkg  the GeoPackage (written atomically)\n"
     "  --cell M               cell size in metres\n"
     "  --band D|auto          distance band in metres (>= M); auto: the first peak of Moran's\n"
     "                         I z over 10 bands (incremental spatial autocorrelation)\n"
     "  --group NAME           names the layer grid_NAME (default all)\n"
     "  --category TEXT        keep only rows of this category (repeat for several)\n"
     "  --category-field FIELD category column of a non-CSV INPUT (default: detected)\n"
     "  --wards POLYGONS       study area: the cells whose centre lies in a polygon (default:\n"
     "                         every cell of the points' extent); points outside are left out\n"
     "  --wards-code FIELD     the polygons' code field (default: detected)\n"
     "  --wards-layer NAME     layer of POLYGONS (default: the first)\n"
     "  --permutations N, --seed S, --fdr, --alpha A   as for gistar\n"
     "  --layer NAME           layer of INPUT (default: the first)\n"
     "  --crs CRS              projected CRS in metres (default EPSG:27700)\n",
     hs_cmd_grid},
    {"help", "show help for a command, or `hotspot help job` for the job-file keys",
     "hotspot help [COMMAND | job]\n", cmd_help},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char *const common_help =
    "Common options:\n"
    "  --threads N        threads for parallel stages (default: all cores)\n"
    "  -q, --quiet        errors only\n"
    "  -v, --verbose      more detail\n"
    "  --progress         progress bars on stderr (default when stderr is a terminal)\n"
    "  --no-progress      one log line per stage instead\n"
    "  -h, --help         this help\n"
    "  --version          versions of hotspot and its libraries\n";

static const char *const exit_help =
    "Exit codes: 0 success; 1 internal error; 2 usage or job file; 3 input data; 4 output;\n"
    "5 missing dependency or resource (or the job is already running); 6 the output was\n"
    "written but the geocoding hit rate is below the job's min_hit_rate; 130/143 stopped by\n"
    "SIGINT/SIGTERM (the previous output and the store are left as they were).\n";

static void print_usage(FILE *out)
{
    fprintf(out, "hotspot %s - hot-spot analysis of crime and anti-social behaviour\n\n"
                 "Usage: hotspot <command> [options]\n\nCommands:\n",
            HS_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n%s\n%s", common_help, exit_help);
}

static void print_version(void)
{
    char libs[512];
    printf("hotspot %s (%s)\n", HS_VERSION, hs_versions_libraries(libs, sizeof libs));
}

const hs_command *hs_find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

void hs_print_command_help(const hs_command *c, FILE *out)
{
    fprintf(out, "%s\n%s\n%s", c->usage, common_help, exit_help);
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stdout);
        return HS_EXIT_OK;
    }
    if (strcmp(argv[1], "job") == 0) {
        printf("Job file keys (INI). Relative paths are relative to the job file's folder.\n");
        hs_job_print_reference(stdout);
        return HS_EXIT_OK;
    }
    const hs_command *c = hs_find_command(argv[1]);
    if (c == NULL) {
        hs_log_error("unknown command '%s' (see `hotspot --help`)", argv[1]);
        return HS_EXIT_USAGE;
    }
    hs_print_command_help(c, stdout);
    return HS_EXIT_OK;
}

int hs_common_option(int argc, char **argv, int *i, hs_common *common)
{
    const char *a = argv[*i];
    if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
        hs_log_set_level(HS_LOG_QUIET);
        return 1;
    }
    if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
        hs_log_set_level(HS_LOG_VERBOSE);
        return 1;
    }
    if (strcmp(a, "--progress") == 0) {
        hs_log_set_progress(1);
        return 1;
    }
    if (strcmp(a, "--no-progress") == 0) {
        hs_log_set_progress(0);
        return 1;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        common->help = 1;
        return 1;
    }
    if (strcmp(a, "--version") == 0) {
        common->version = 1;
        return 1;
    }
    if (strcmp(a, "--threads") == 0 || strncmp(a, "--threads=", 10) == 0) {
        const char *v = a[9] == '=' ? a + 10 : (*i + 1 < argc ? argv[++*i] : NULL);
        char *end = NULL;
        long n = v ? strtol(v, &end, 10) : 0;
        if (v == NULL || *end != '\0' || n < 1 || n > 1024) {
            hs_log_error("--threads needs a whole number from 1 to 1024");
            return -1;
        }
        common->threads = (int)n;
        return 1;
    }
    return 0;
}

int hs_cli_main(int argc, char **argv)
{
    GDALAllRegister();
    hs_common common = {0};
    int i = 1;
    /* Common options before the command. */
    for (; i < argc && argv[i][0] == '-'; i++) {
        int r = hs_common_option(argc, argv, &i, &common);
        if (r < 0)
            return HS_EXIT_USAGE;
        if (r == 0) {
            hs_log_error("unknown option '%s' (see `hotspot --help`)", argv[i]);
            return HS_EXIT_USAGE;
        }
    }
    if (common.version) {
        print_version();
        return HS_EXIT_OK;
    }
    if (i >= argc) {
        print_usage(common.help ? stdout : stderr);
        return common.help ? HS_EXIT_OK : HS_EXIT_USAGE;
    }
    const hs_command *c = hs_find_command(argv[i]);
    if (c == NULL) {
        hs_log_error("unknown command '%s' (see `hotspot --help`)", argv[i]);
        return HS_EXIT_USAGE;
    }
    if (common.help) {
        hs_print_command_help(c, stdout);
        return HS_EXIT_OK;
    }
    if (common.threads > 0)
        omp_set_num_threads(common.threads);
    int rc = c->fn(argc - i, argv + i);
    GDALDestroyDriverManager();
    return rc;
}
