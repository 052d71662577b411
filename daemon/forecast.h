/* daemon/forecast.h - a forecast of a stored series (forecast.c). */
#ifndef HRD_FORECAST_H
#define HRD_FORECAST_H

#include "daemon/store.h"

typedef struct hrd_fc {
    hr_forecast f;        /* h steps after origin, at the levels asked */
    int64_t step, origin; /* seconds; origin = time of the last history point */
    size_t history;       /* points fitted (after regularisation) */
    size_t periods[HR_MAX_PERIODS], nperiods;
    char used[32]; /* the model that produced it ("naive" on fallback) */
    char desc[64]; /* its fitted form */
} hrd_fc;

/* Forecast `series` h steps ahead at levels[0..nq) from its newest
 * `history` samples with `model`. HR_ENOTFOUND (no such series), HR_EINVAL
 * (unknown model, err says which), HR_EDATA (too few or unusable samples).
 * Release with hrd_fc_release. */
int hrd_forecast(hrd_store *st, const char *series, size_t h, const double *levels, size_t nq,
                 size_t history, const char *model, hrd_fc *out, hr_error *err);
void hrd_fc_release(hrd_fc *fc);

#endif
