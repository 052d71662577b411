/* headroom/common.h - export macro and basic includes shared by every header. */
#ifndef HEADROOM_COMMON_H
#define HEADROOM_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(HR_BUILDING_LIB)
#define HR_EXPORT __attribute__((visibility("default")))
#else
#define HR_EXPORT
#endif

#define HR_PRINTF(a, b) __attribute__((format(printf, a, b)))

#endif
