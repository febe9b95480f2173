// vigil.backtest: the pipeline over a cube scored against a truth file (eval.h), as the report
// `vigil backtest --json` writes.
#include "bind_common.h"
#include "vigil/eval.h"

namespace vigil::python {
namespace {

py::object BacktestBinding(const PyCube& self, const py::handle& truth_arg,
                           const py::handle& files_arg) {
  std::string truth_path = PathArg(truth_arg);
  std::vector<std::string> files =
      files_arg.is_none() ? std::vector<std::string>{} : PathsArg(files_arg);
  Result<std::string> report = InvalidArgument("");
  {
    py::gil_scoped_release nogil;
    report = [&]() -> Result<std::string> {
      VIGIL_ASSIGN_OR_RETURN(Truth truth, Truth::Load(truth_path));
      BacktestOptions options;
      options.files = std::move(files);
      std::shared_lock lock(self.mutex);
      VIGIL_ASSIGN_OR_RETURN(BacktestReport r, RunBacktest(self.cube, truth, options));
      return BacktestReportToJson(r);
    }();
  }
  return py::module_::import("json").attr("loads")(ValueOrThrow(std::move(report)));
}

}  // namespace

void init_eval(py::module_& m) {
  m.def("backtest", &BacktestBinding, py::arg("cube"), py::arg("truth"), py::kw_only(),
        py::arg("files") = py::none(),
        "Scores the cube's incidents against a truth file (DESIGN §5.2, e.g. the simulator's "
        "truth.json), as `vigil backtest` does: the pipeline over the whole cube, anomalies "
        "matched to the truth, incidents scored, explanations checked. With `files` (the events "
        "behind the cube), examples, error templates and failure stages too, as `vigil run`. "
        "Returns the report `vigil backtest --json` writes, as a dict: precision, recall, f1, "
        "anomalies, incidents, delays, and per truth incident (`truth`) and per monitor "
        "(`by_monitor`) entries. People's feedback is not read (it lives in a store). Raises "
        "NotFoundError or DataError for the truth file. Releases the GIL.");
}

}  // namespace vigil::python
