/* The plan endpoints, per fleet: GET /api/v1/fleets/F/plan (the latest
 * round's plan as a dry-run diff with a reason per action and a summary),
 * POST /api/v1/fleets/F/plan/approve (carried out at the next round if the
 * fleet has not changed) and /plan/apply (carried out now). /api/v1/plan,
 * /plan/approve and /plan/apply are the same for the fleet "default". */
#include "daemon/api.h"
#include "daemon/ctl.h"

#include <string.h>

static hrd_ctl *ctl_or_503(hrd_req *r)
{
    hrd_ctl *cl = atomic_load(&r->srv->ctl);
    if (!cl)
        hrd_reply_error(r, 503, "not_configured", NULL,
                        "the control loop is off (loop.driver: none)");
    return cl;
}

/* The fleet of the path: /api/v1/fleets/F/... or the default one. */
static const char *fleet_of(hrd_req *r)
{
    return !strncmp(r->url, "/api/v1/fleets/", 15) && r->param[0] ? r->param[0] : HRD_CTL_FLEET;
}

void hrd_api_plan_get(hrd_req *r)
{
    hrd_ctl *cl = ctl_or_503(r);
    if (!cl) return;
    json_t *p = hrd_ctl_plan(cl, fleet_of(r));
    if (!p) {
        hrd_reply_error(r, 404, "not_found", NULL,
                        "no plan yet for fleet %.100s: the control loop has not run a round with "
                        "its workloads",
                        fleet_of(r));
        return;
    }
    hrd_reply_json(r, 200, p);
}

static void execute(hrd_req *r, const char *how)
{
    hrd_ctl *cl = ctl_or_503(r);
    if (!cl) return;
    json_int_t id = 0;
    if (r->len) {
        json_error_t je;
        json_t *b = json_loadb(r->body, r->len, 0, &je);
        if (!b) {
            hrd_reply_error(r, 400, "bad_json", NULL, "body: %s at line %d column %d", je.text,
                            je.line, je.column);
            return;
        }
        json_t *j = json_object_get(b, "id");
        if (j && (!json_is_integer(j) || json_integer_value(j) <= 0)) {
            json_decref(b);
            hrd_reply_error(r, 400, "invalid_field", "id", "id: a plan id (integer > 0)");
            return;
        }
        id = j ? json_integer_value(j) : 0;
        json_decref(b);
    }
    hr_error err = {0};
    json_t *out = NULL;
    int rc = hrd_ctl_execute(cl, fleet_of(r), id, how, &out, &err);
    if (rc == HR_EEXIST || (rc == HR_EINVAL && id == 0)) {
        hrd_reply_error(r, 409, "conflict", NULL, "%s", err.msg);
        return;
    }
    if (rc == HR_EINVAL) {
        hrd_reply_error(r, 409, "conflict", "id", "%s", err.msg);
        return;
    }
    if (rc < 0) {
        hrd_reply_hr(r, rc, &err);
        return;
    }
    hrd_reply_json(r, 200, out);
}

void hrd_api_plan_approve(hrd_req *r)
{
    execute(r, "approve");
}

void hrd_api_plan_apply(hrd_req *r)
{
    execute(r, "apply");
}
