/* `ikeprobe explain --json': one code as JSON (schema/explain.schema.json). */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/render.h"

static json_object *
str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *
wincode_json(uint32_t code, const struct win_code *w)
{
	json_object *o = json_object_new_object(), *a;
	char hex[16];

	snprintf(hex, sizeof(hex), "0x%08X", code);
	json_object_object_add(o, "code", json_object_new_int64(code));
	json_object_object_add(o, "hex", json_object_new_string(hex));
	json_object_object_add(o, "signed", json_object_new_int((int32_t)code));
	json_object_object_add(o, "known", json_object_new_boolean(w != NULL));
	json_object_object_add(o, "symbol", str_or_null(w ? w->symbol : NULL));
	json_object_object_add(o, "header", str_or_null(w ? w->header : NULL));
	json_object_object_add(o, "message", str_or_null(w ? w->message : NULL));
	json_object_object_add(o, "meaning", str_or_null(w ? w->meaning : NULL));
	a = json_object_new_array();
	for (int i = 0; w && i < WINCODE_MAX_CAUSES && w->causes[i].cause; i++) {
		const struct win_cause *c = &w->causes[i];
		json_object *e = json_object_new_object(), *f = NULL;

		json_object_object_add(e, "cause", json_object_new_string(c->cause));
		json_object_object_add(e, "check", json_object_new_string(c->check));
		if (c->findings) {
			char buf[400];

			f = json_object_new_array();
			snprintf(buf, sizeof(buf), "%s", c->findings);
			for (char *t = buf, *sp; t && *t; t = sp) {
				if ((sp = strchr(t, ' ')) != NULL)
					*sp++ = '\0';
				if (*t)
					json_object_array_add(f, json_object_new_string(t));
			}
		}
		json_object_object_add(e, "findings", f ? f : json_object_new_array());
		json_object_object_add(e, "command", str_or_null(c->command));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "causes", a);
	return o;
}
