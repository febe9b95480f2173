// The compiled part of the Python package: `vigil._vigil`, re-exported by vigil/__init__.py.
// One init_<module> per engine module, in the pipeline's order (later ones extend Cube).
#include "bind_common.h"

PYBIND11_MODULE(_vigil, m) {
  using namespace vigil::python;
  m.doc() = "vigil's engine: configs, cubes, detection and incidents (see the vigil package).";
  m.attr("__version__") = VIGIL_VERSION;
  init_common(m);
  init_config(m);
  init_cube(m);
  init_ingest(m);
  init_detect(m);
  init_incident(m);
  init_eval(m);
  init_learn(m);
}
