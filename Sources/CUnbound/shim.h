#ifndef STSWATCH_CUNBOUND_SHIM_H
#define STSWATCH_CUNBOUND_SHIM_H

// libunbound, plus <arpa/nameser.h> for the RR type, class and rcode numbers
// (ns_t_*, ns_c_*, ns_r_*), so Swift never spells those values itself.
#include <unbound.h>
#include <arpa/nameser.h>

#endif
