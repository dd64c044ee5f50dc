/* Reports side by side: one column per report (its label, else its local
 * network), one row per check. Building the table decides what is a check
 * and which rows differ; the renderers only draw it. */
#ifndef IKEPROBE_COMPARE_H
#define IKEPROBE_COMPARE_H

#include <stdbool.h>

#include "ikeprobe/doc.h"

#define CMP_MAX_COLS	16
#define CMP_MAX_ROWS	96
#define CMP_VALUE_LEN	96
#define CMP_SCHEMA	"ikeprobe.compare/1"

enum cmp_kind {
	CMP_CHECK,		/* what the network or gateway did: differences
				 * are marked */
	CMP_CONTEXT,		/* where and when: expected to differ */
};

struct cmp_col {
	const char	*file;
	const struct doc *doc;
	char		 title[80];
};

struct cmp_row {
	char		 key[48];	/* stable: "port.500", "nat", ... */
	char		 check[48];	/* for people: "UDP 500", "NAT" */
	enum cmp_kind	 kind;
	bool		 has[CMP_MAX_COLS];	/* false: not in that report */
	/* Nothing to compare: not tested there (--quick), a port not
	 * probed. Shown, but no difference. */
	bool		 blank[CMP_MAX_COLS];
	char		 value[CMP_MAX_COLS][CMP_VALUE_LEN];
	bool		 differs;	/* two reports have different values */
};

struct cmp_table {
	struct cmp_col	 cols[CMP_MAX_COLS];
	int		 n_cols;
	struct cmp_row	 rows[CMP_MAX_ROWS];
	int		 n_rows;
	int		 n_differ;	/* check rows that differ */
};

/* Add a report's columns: one, plus one per report of its other addresses
 * (--all-addresses). -1 if that would be more than CMP_MAX_COLS. */
int	 cmp_add(struct cmp_table *, const char *file, const struct doc *);
/* Fill the rows once every report is added. */
void	 cmp_build(struct cmp_table *);

#endif
