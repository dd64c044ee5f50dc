#ifndef IKEPROBE_OPTIONS_H
#define IKEPROBE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "ikeprobe/probe.h"

#define EXIT_PROBLEM	1
#define EXIT_USAGE	2
#define EXIT_CANNOT_RUN	3

struct options {
	const char	*target;
	bool		 json;
	const char	*pcap_path;
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
};

/* 0 to go on, or an exit status (after printing help, version or error). */
int	 options_parse(int, char **, struct options *);

#endif
