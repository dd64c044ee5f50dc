/* A comparison of reports as JSON (schema/compare.schema.json). Apart
 * from the report's own JSON (json.c) because it reads only the table that
 * compare.c built from saved reports, so the fuzz target of the report
 * reader reaches it without the live run's code. */
#include <json-c/json.h>

#include "config.h"
#include "ikeprobe/render.h"

json_object *
render_json_tool(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string("ikeprobe"));
	json_object_object_add(o, "version", json_object_new_string(IKEPROBE_VERSION));
	return o;
}

json_object *
cmp_json(const struct cmp_table *t)
{
	json_object *root = json_object_new_object(), *a, *o, *v;

	json_object_object_add(root, "schema", json_object_new_string(CMP_SCHEMA));
	json_object_object_add(root, "tool", render_json_tool());
	a = json_object_new_array();
	for (int c = 0; c < t->n_cols; c++) {
		const struct doc *d = t->cols[c].doc;

		o = json_object_new_object();
		json_object_object_add(o, "file", json_object_new_string(t->cols[c].file));
		json_object_object_add(o, "title", json_object_new_string(t->cols[c].title));
		json_object_object_add(o, "label", d->local.label.st == DOC_SET ? json_object_new_string(d->local.label.s) : NULL);
		json_object_object_add(o, "target", json_object_new_string(d->target.address.s));
		json_object_object_add(o, "started", json_object_new_string(d->started.s));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "reports", a);
	a = json_object_new_array();
	for (int r = 0; r < t->n_rows; r++) {
		const struct cmp_row *row = &t->rows[r];

		o = json_object_new_object();
		json_object_object_add(o, "key", json_object_new_string(row->key));
		json_object_object_add(o, "check", json_object_new_string(row->check));
		json_object_object_add(o, "kind", json_object_new_string(row->kind == CMP_CHECK ? "check" : "context"));
		v = json_object_new_array();
		for (int c = 0; c < t->n_cols; c++)
			json_object_array_add(v, row->has[c] ? json_object_new_string(row->value[c]) : NULL);
		json_object_object_add(o, "values", v);
		json_object_object_add(o, "differs", json_object_new_boolean(row->differs));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "rows", a);
	json_object_object_add(root, "differences", json_object_new_int(t->n_differ));
	return root;
}
