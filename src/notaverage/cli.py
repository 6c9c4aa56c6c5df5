"""The `notaverage` command: parse arguments, call the library, say where the output went.

User errors (bad arguments, files, data) print one line and exit 2; an interrupted training run
exits 130 after saving its resume point. Tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from notaverage.errors import UserError

DEFAULT_OUT = Path("notaverage-out")


class _Parser(argparse.ArgumentParser):
    """argparse, with its two-line usage error folded into the one line we promise."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed {text!r} is not a whole number") from None
    if not 0 <= value < 2**31:
        raise argparse.ArgumentTypeError(f"seed {value} must be between 0 and 2147483647")
    return value


def _steps(text: str) -> int:
    value = _positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"{value} must be at least 2 (a path has a start and an end)")
    return value


def _digit(text: str) -> int:
    if text.strip() not in tuple("0123456789"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a digit 0-9")
    return int(text)


def _common(parser: argparse.ArgumentParser, out_default: str | None = None) -> None:
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder with the four MNIST .gz files (default: $NOTAVERAGE_DATA, the cache, "
                             "a download, then the bundled sample)")
    parser.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    parser.add_argument("--preset", choices=["fast", "quality", "tiny"], default="fast",
                        help="training preset: fast (default), quality (longer), tiny (for --limit runs)")
    parser.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                        help="use only N training digits (a quick look; models are cached per limit)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    if out_default is not None:
        parser.add_argument("--out", type=Path, default=DEFAULT_OUT / out_default,
                            help=f"output location (default {DEFAULT_OUT / out_default})")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="notaverage", description="See, and measure, that a neural network does not "
                                                    "average its inputs.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    train = commands.add_parser("train", help="train (or reuse) the VAE, the linear model and the classifier")
    _common(train)
    train.add_argument("--resume", action="store_true", help="continue an interrupted training run")
    train.add_argument("--retrain", action="store_true", help="train again even if a cached model exists")

    blend = commands.add_parser("blend", help="blend digit A into digit B three ways, as one PNG")
    blend.add_argument("a", metavar="A", help="a digit class (0-9), a test index (test:123) or an image file")
    blend.add_argument("b", metavar="B", help="the same kinds as A")
    blend.add_argument("--steps", type=_steps, default=9, help="images per path (default 9, at least 2)")
    blend.add_argument("--slerp", action="store_true", help="walk the VAE latent space on a great circle")
    _common(blend, "blend.png")

    sample = commands.add_parser("sample", help="draw new digits of one class beside their nearest training digit")
    sample.add_argument("--digit", type=_digit, required=True, help="the class to draw, 0-9")
    sample.add_argument("-n", type=_positive_int, default=16, help="how many (default 16)")
    _common(sample, "samples.png")

    tour = commands.add_parser("tour", help="train or reuse all models and write every picture into a folder")
    _common(tour, "tour")

    hybrid = commands.add_parser("hybrid", help="find digits the judge reads as equally A and B (e.g. a 9-2 hybrid)")
    hybrid.add_argument("a", metavar="A", help="a digit class (0-9), a test index (test:123) or an image file")
    hybrid.add_argument("b", metavar="B", help="the same kinds as A (of a different class)")
    hybrid.add_argument("-n", type=_positive_int, default=4, help="how many hybrids to show (default 4)")
    hybrid.add_argument("--steps", type=_positive_int, default=100, help="gradient steps of the search (default 100)")
    _common(hybrid, "hybrid.png")

    traverse = commands.add_parser("traverse", help="decode codes along the principal directions of the latent codes")
    traverse.add_argument("--directions", type=_positive_int, default=8, help="how many directions (default 8)")
    traverse.add_argument("--steps", type=_steps, default=9, help="images per direction (default 9, at least 2)")
    _common(traverse, "traverse.png")

    report = commands.add_parser("report", help="measure every claim and write report.html + report.json")
    report.add_argument("--pairs", type=_positive_int, default=1000, help="random test pairs measured (default 1000)")
    _common(report, "report")

    serve = commands.add_parser("serve", help="explore the models in a browser: draw, blend, map, sample")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback)")
    serve.add_argument("--port", type=int, default=8000, help="TCP port (default 8000; 0 picks a free one)")
    _common(serve)

    from notaverage.tabular.cli import add_arguments as add_tabular_arguments  # light: no heavy imports

    tabular = commands.add_parser("tabular", help="do boosted trees beat linear regression on human-systems data?")
    add_tabular_arguments(tabular)
    _add_zoo_commands(commands)
    return parser


def _add_zoo_commands(commands) -> None:
    from notaverage.lines.command import add_arguments as add_lines_arguments  # light: no torch

    lines = commands.add_parser("lines", help="ACAI's lines benchmark: how well do autoencoders interpolate?")
    add_lines_arguments(lines)
    from notaverage.leaderboard.command import add_arguments as add_zoo_arguments

    zoo = commands.add_parser("zoo", help="train the zoo of autoencoders and score them all: leaderboard.html")
    add_zoo_arguments(zoo)


_STANDALONE = {"tabular": "notaverage.tabular.cli", "lines": "notaverage.lines.command",
               "zoo": "notaverage.leaderboard.command"}


def _run(args: argparse.Namespace) -> int:
    if args.command in _STANDALONE:  # commands with their own module and data (no lab models)
        import importlib

        return importlib.import_module(_STANDALONE[args.command]).run(args)
    from notaverage import lab, zoo  # heavy imports (torch) only once the arguments are valid

    progress = not args.quiet
    if args.command == "tour":
        result = lab.run_tour(args.out, args.data_dir, args.limit, args.seed, args.preset, progress)
        for trained in result["trained"].values():
            print(zoo.describe(trained))
        print(f"samples: nearest training digit at median pixel distance {result['samples']['median_distance']:.2f} "
              f"(closest {result['samples']['min_distance']:.2f}; 0 would be a copy)")
        if "report" in result["files"]:
            print(f"report: {result['files']['report']}")
        print(f"tour finished in {result['seconds']:.0f} s; pictures in {args.out}/:")
        for path in result["files"].values():
            print(f"  {path}")
        return 0

    data = lab.load_data(args.data_dir, args.limit, args.seed, progress)
    if args.command == "serve":
        from notaverage.web.app import serve

        return serve(data, args.host, args.port, args.preset, args.seed, progress)
    if args.command in ("hybrid", "traverse", "report"):
        return _run_evidence(args, data, progress)
    if args.command == "train":
        trained = zoo.get_models(data, ("vae", "linear", "classifier"), args.preset, args.seed,
                                 resume=args.resume, retrain=args.retrain, progress=progress)
        for model in trained.values():
            print(zoo.describe(model))
            print(f"  {model.folder}")
        return 0

    models = {name: t.model for name, t in
              zoo.get_models(data, ("vae", "linear", "classifier"), args.preset, args.seed,
                             progress=progress).items()}
    if args.command == "blend":
        a = lab.resolve_digit(args.a, data, models["classifier"], args.seed, "A")
        b = lab.resolve_digit(args.b, data, models["classifier"], args.seed, "B")
        print(lab.write_blend(models, a, b, args.out, args.steps, "slerp" if args.slerp else "lerp"))
        return 0
    if args.command == "sample":
        path, stats = lab.write_samples(models, data, [args.digit], args.n, args.out, args.seed)
        print(f"{args.n} new {args.digit}s; nearest training digit at median pixel distance "
              f"{stats['median_distance']:.2f} (closest {stats['min_distance']:.2f})")
        print(path)
        return 0
    raise AssertionError(f"unhandled command {args.command}")


def _run_evidence(args: argparse.Namespace, data, progress: bool) -> int:
    from notaverage import lab, zoo
    from notaverage.evidence import EvidenceConfig, commands

    if args.command == "report":
        result = commands.run_report(args.out, data, args.preset, args.seed, progress,
                                     EvidenceConfig(n_pairs=args.pairs, seed=args.seed))
        for verdict in result["numbers"]["verdicts"].values():
            print(f"{verdict['claim']}: {verdict['text']}")
        print(f"report written in {result['seconds']:.0f} s:")
        print(result["html"])
        print(result["json"])
        return 0
    names = ("vae",) if args.command == "traverse" else ("vae", "classifier", "judge")
    models = {n: t.model for n, t in zoo.get_models(data, names, args.preset, args.seed, progress=progress).items()}
    if args.command == "traverse":
        path, trav = commands.write_traversals(models["vae"], data, args.out, args.directions, args.steps)
        for k, share in enumerate(trav.variance_ratio):
            print(f"direction {k + 1}: {share:.1%} of the code variance")
        print(f"first {len(trav.variance_ratio)} together: {trav.variance_ratio.sum():.1%}")
        print(path)
        return 0
    a = lab.resolve_digit(args.a, data, models["classifier"], args.seed, "A")
    b = lab.resolve_digit(args.b, data, models["classifier"], args.seed, "B")
    path, results, ratios = commands.write_hybrid(models, data, a, b, args.out, args.n, args.steps, args.seed)
    for k, (r, ratio) in enumerate(zip(results, ratios)):
        print(f"hybrid {k + 1}: judge p({a.label})={r.p_a:.2f} p({b.label})={r.p_b:.2f}  manifold ratio {ratio:.2f}  "
              f"code realism {r.realism:.2f}  (from t={r.start_t:.2f}: p({a.label})={r.start_p_a:.2f} "
              f"p({b.label})={r.start_p_b:.2f})")
    print(path)
    return 0


def _sigterm_as_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)  # `kill` saves a resume point like Ctrl-C
    try:
        return _run(args)
    except UserError as err:
        from notaverage.training import TrainingInterrupted

        print(f"notaverage: error: {err}", file=sys.stderr)
        return 130 if isinstance(err, TrainingInterrupted) else 2
    except OSError as err:  # an output path that is a folder, a full disk, an unreadable file ...
        where = f" {err.filename}" if err.filename else ""
        print(f"notaverage: error: cannot use{where}: {err.strerror or err}; check the path and its "
              f"permissions", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("notaverage: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
