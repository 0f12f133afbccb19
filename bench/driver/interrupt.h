/* Ctrl-C: the first SIGINT/SIGTERM/SIGHUP (a closed terminal) lets the current case finish (a QEMU
 * case gives up its pass in progress, which may take minutes), then the run
 * stops with every finished row kept and its image files removed; a second
 * one removes them and kills as usual. A SIGINT ignored at start (a
 * background job of a script) or a SIGHUP ignored (nohup) stays ignored. */
#ifndef ZCB_INTERRUPT_H
#define ZCB_INTERRUPT_H

#include <stdbool.h>

void zcb_interrupt_install(void);
bool zcb_interrupted(void);
/* What a second signal removes besides the image files (NULL: nothing): a
 * function safe in a signal handler. */
void zcb_interrupt_on_kill(void (*remove)(void));

#endif
