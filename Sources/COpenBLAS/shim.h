// OpenBLAS's CBLAS interface and thread control (Debian: libopenblas-dev).
#include <cblas.h>
