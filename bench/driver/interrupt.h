/* Ctrl-C: the first SIGINT/SIGTERM lets the current case finish, then the run
 * stops with every finished row kept; a second one kills as usual. */
#ifndef ZCB_INTERRUPT_H
#define ZCB_INTERRUPT_H

#include <stdbool.h>

void zcb_interrupt_install(void);
bool zcb_interrupted(void);

#endif
