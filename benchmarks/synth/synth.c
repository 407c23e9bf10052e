#include "benchmarks/synth/synth.h"
int hs_synth_version(void)
{
    return 1;
}
