/* headroom/headroom.h - umbrella header for libheadroom. */
#ifndef HEADROOM_HEADROOM_H
#define HEADROOM_HEADROOM_H

#include "common.h"
#include "error.h"
#include "util.h"
#include "series.h"
#include "forecast.h"
#include "store.h"

#define HR_VERSION "0.1.0"

#endif
