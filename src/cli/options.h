#ifndef IKEPROBE_OPTIONS_H
#define IKEPROBE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "ikeprobe/plan.h"

#define EXIT_PROBLEM	1
#define EXIT_USAGE	2
#define EXIT_CANNOT_RUN	3

enum format {
	FORMAT_TEXT,		/* for a terminal; the default */
	FORMAT_JSON,
	FORMAT_MARKDOWN,	/* for a ticket */
	FORMAT_JSONL,		/* one report per line, as each gateway ends */
};

/* Gateways of one run: far more than a company has regions, yet a bound
 * on what one run sends and holds. */
#define MAX_TARGETS	64

struct options {
	const char	*targets[MAX_TARGETS];	/* as given, each once */
	int		 n_targets;
	char		*targets_buf;	/* --targets FILE's text, owned */
	enum format	 format;
	const char	*pcap_path;
	const char	*output_dir;	/* --output: the report bundle */
	const char	*label;		/* --label: where this was run */
	bool		 all_addresses;
	uint16_t	 ports[MAX_PORTS];
	int		 n_ports;
	const char	*source;
	const char	*ifname;
	const char	*user;
	int		 attempts;
	int		 rto_ms;
	bool		 quick;
	bool		 stateful;
	size_t		 sizes[MAX_SIZES];
	int		 n_sizes;
	size_t		 frag_size;
	bool		 verbose;	/* -v: the packet trace */
	bool		 no_auth;	/* --no-auth: no IKE_AUTH probe */
	bool		 audit;		/* --audit: the proposal audit */
	bool		 no_sstp;	/* --no-sstp: no SSTP check */
	int		 family;	/* -4, -6: AF_INET, AF_INET6; 0 both */
	uint16_t	 sstp_port;	/* --sstp-port (443) */
	const char	*ca_file;	/* --ca: trust these, not the system's */
};

/* 0 to go on, or an exit status (after printing help, version or error);
 * -1 after --help or --version (exit 0). */
int	 options_parse(int, char **, struct options *);

/* "text", "json", "jsonl", "markdown": 0, or EXIT_USAGE after one line. */
int	 format_parse(const char *, enum format *);

/* `ikeprobe show' and `ikeprobe compare': the files and the format. */
struct file_options {
	enum format	 format;
	char	       **files;
	int		 n_files;
};

/* argv[0] is the subcommand's name; show takes one file, compare one or
 * more (one with the reports of several addresses is enough). */
int	 file_options_parse(int, char **, bool one_file, struct file_options *);

#endif
