"""The `notaverage` command: parse arguments, call the library, say where the output went.

User errors (bad arguments, files, data, an unusable --out) print one line and exit 2, before any
slow work; an interrupted training run exits 130 after saving its resume point. Tracebacks are for
bugs only. One vocabulary across commands: `--images` (images per path), `-n` (how many results),
`--search-steps` (the hybrid search), `--pick` (which digits; never trains), `--train-seed` (trains).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from notaverage import __version__
from notaverage.errors import UserError
from notaverage.presets import DEFAULT_PRESET, PRESET_NAMES

DEFAULT_OUT = Path("notaverage-out")

# Largest requests that still make a readable 1920x1080 picture; above them the command says so in
# one line and caps (or, for `sample`, splits into several files). Documented in the README.
CAPS = {"images": 15, "directions": 10, "hybrids": 8, "samples_per_picture": 40, "samples": 400,
        "search_steps": 2000}


class _Parser(argparse.ArgumentParser):
    """argparse, with its two-line usage error folded into the one line we promise."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class _Renamed(argparse.Action):
    """An option of an older version: fail at once with one line that names its replacement."""

    def __init__(self, option_strings, dest, replacement: str = "", **kwargs):
        super().__init__(option_strings, dest, nargs="?", help=argparse.SUPPRESS, **kwargs)
        self.replacement = replacement

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(f"{option_string} is gone: {self.replacement}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _whole(text: str) -> int:
    """A seed or a pick number: 0 to 2**31 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**31:
        raise argparse.ArgumentTypeError(f"{value} must be between 0 and 2147483647")
    return value


def _images(text: str) -> int:
    value = _positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"{value} must be at least 2 (a path has a start and an end)")
    return value


def _digit(text: str) -> int:
    if text.strip() not in tuple("0123456789"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a digit 0-9")
    return int(text)


def _common(parser: argparse.ArgumentParser, out: str | None = None, pick: str | None = None) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="folder with the four MNIST .gz files (default: $NOTAVERAGE_DATA, the cache, "
                             "a download, then the bundled sample)")
    parser.add_argument("--preset", choices=PRESET_NAMES, default=DEFAULT_PRESET,
                        help="training preset: fast (default), quality (longer, a bigger VAE), "
                             "tiny (for --limit runs)")
    parser.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                        help="use only N training digits (a quick look; models are cached per limit)")
    parser.add_argument("--train-seed", type=_whole, default=0, metavar="N",
                        help="training seed (default 0). Another value TRAINS NEW MODELS: about 1-2 minutes "
                             "on a 2-core CPU with the fast preset, 10+ with quality. To see other digits "
                             "use --pick instead")
    if pick:
        parser.add_argument("--pick", type=_whole, default=0, metavar="N",
                            help=f"which {pick} (default 0; 1, 2, ... give others). Never retrains")
    parser.add_argument("--seed", action=_Renamed,
                        replacement="use --pick N to show other digits (no training) or --train-seed N to "
                                    "train new models")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    if out is not None:
        kind = "folder" if "." not in out else "picture: .png, .jpg, .svg or .pdf"
        parser.add_argument("--out", type=Path, default=DEFAULT_OUT / out, metavar="PATH",
                            help=f"output {kind} (default {DEFAULT_OUT / out})")


def _images_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--images", type=_images, default=9, metavar="N",
                        help=f"images per {what} (default 9, at least 2, at most {CAPS['images']})")
    parser.add_argument("--steps", action=_Renamed, replacement=f"use --images N (images per {what})")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="notaverage", description="See, and measure, that a neural network does not "
                                                    "average its inputs.")
    parser.add_argument("--version", action="version", version=f"notaverage {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    train = commands.add_parser("train", help="train (or reuse) the VAE, the linear model and the classifier")
    _common(train)
    train.add_argument("--resume", action="store_true", help="continue an interrupted training run")
    train.add_argument("--retrain", action="store_true", help="train again even if a cached model exists")

    digit_spec = ("a class (0-9), a test index (test:123), or an image file, optionally with its true class "
                  "(me.png:9)")
    blend = commands.add_parser("blend", help="blend digit A into digit B three ways (VAE, pixels, PCA), "
                                              "as one picture")
    blend.add_argument("a", metavar="A", help=digit_spec)
    blend.add_argument("b", metavar="B", help="the same kinds as A")
    _images_option(blend, "path")
    blend.add_argument("--slerp", action="store_true", help="walk the VAE latent space on a great circle")
    _common(blend, "blend.png", pick="pair of test digits a class names")

    sample = commands.add_parser("sample", help="sample digits of one class from the VAE, each boxed with "
                                                "its nearest training digit")
    sample.add_argument("--digit", type=_digit, required=True, metavar="D", help="the class to draw, 0-9")
    sample.add_argument("-n", type=_positive_int, default=16,
                        help=f"how many (default 16; {CAPS['samples_per_picture']} per picture, more are "
                             f"split into several files, at most {CAPS['samples']})")
    _common(sample, "samples.png", pick="samples")

    tour = commands.add_parser("tour", help="train or reuse all models and write every picture and the "
                                            "report into a folder")
    _common(tour, "tour", pick="pairs and samples")

    hybrid = commands.add_parser("hybrid", help="search the latent space for digits the judge reads as "
                                                "equally A and B (e.g. a 9-2 hybrid)")
    hybrid.add_argument("a", metavar="A", help=digit_spec)
    hybrid.add_argument("b", metavar="B", help="the same kinds as A (of a different class)")
    hybrid.add_argument("-n", type=_positive_int, default=4,
                        help=f"how many hybrids to show (default 4, at most {CAPS['hybrids']})")
    hybrid.add_argument("--search-steps", type=_positive_int, default=100, metavar="N",
                        help=f"gradient steps of the search (default 100, at most {CAPS['search_steps']})")
    hybrid.add_argument("--steps", action=_Renamed, replacement="use --search-steps N (gradient steps)")
    _common(hybrid, "hybrid.png", pick="pair of test digits and search starts")

    traverse = commands.add_parser("traverse", help="decode codes along the principal directions of the "
                                                    "latent codes")
    traverse.add_argument("--directions", type=_positive_int, default=8, metavar="N",
                          help=f"how many directions (default 8, at most {CAPS['directions']})")
    _images_option(traverse, "direction")
    _common(traverse, "traverse.png")

    report = commands.add_parser("report", help="measure every claim and write report.html + report.json")
    report.add_argument("--pairs", type=_positive_int, default=1000, metavar="N",
                        help="random test pairs measured (default 1000)")
    report.add_argument("--seeds", type=_positive_int, default=1, metavar="N",
                        help="train and score N training seeds from --train-seed on; a verdict is supported "
                             "only if it is for every seed (default 1)")
    report.add_argument("--controls", action="store_true",
                        help="also run the cheats (memoriser, retrieval, blur, judge-fooler) through the "
                             "same tests")
    _common(report, "report")

    _add_recognize(commands)

    serve = commands.add_parser("serve", help="explore the models in a browser: draw, blend, map, sample")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1, loopback)")
    serve.add_argument("--port", type=int, default=8000, metavar="N",
                       help="TCP port (default 8000; 0 picks a free one)")
    _common(serve)

    from notaverage.tabular.cli import add_arguments as add_tabular_arguments  # light: no heavy imports

    tabular = commands.add_parser("tabular",
                                  help="do boosted trees beat linear regression on human-systems data?")
    add_tabular_arguments(tabular)
    _add_zoo_commands(commands)
    return parser


def _add_recognize(commands) -> None:
    recognize = commands.add_parser("recognize", help="say which digit each image shows, with its top "
                                                      "probabilities")
    recognize.add_argument("files", metavar="FILE", nargs="+",
                           help="PNG/JPEG images of one digit each; '-' reads a PNG from standard input")
    recognize.add_argument("--json", action="store_true",
                           help='print a JSON list of {"file", "digit", "probs"} (10 probabilities)')
    _common(recognize)


def _recognize(args) -> int:
    """Each file through blend's preprocessing and the classifier; a bad file is one line on stderr
    (and exit 2) while the others are still recognised."""
    import json

    from notaverage.data.preprocess import preprocess_image

    import contextlib

    with contextlib.redirect_stdout(sys.stderr):  # training notes must not break --json on stdout
        classifier = _lab_models(args, _data(args), ("classifier",))["classifier"]
    results, failed = [], False
    for name in args.files:
        try:
            image = preprocess_image(sys.stdin.buffer.read() if name == "-" else Path(name))
        except UserError as err:  # a file's message names its path already; stdin's does not
            where = "standard input: " if name == "-" else "" if name in str(err) else f"{name}: "
            print(f"notaverage: error: {where}{err}", file=sys.stderr)
            failed = True
            continue
        probs = classifier.predict_proba(image[None])[0]
        digit = int(probs.argmax())
        results.append({"file": name, "digit": digit, "probs": [round(float(p), 6) for p in probs]})
        if not args.json:
            top = ", ".join(f"{d}: {probs[d]:.1%}" for d in probs.argsort()[::-1][:3])
            print(f"{name}: {digit}   ({top})", flush=True)
    if args.json:
        print(json.dumps(results))
    return 2 if failed else 0


def _add_zoo_commands(commands) -> None:
    from notaverage.lines.command import add_arguments as add_lines_arguments  # light: no torch

    lines = commands.add_parser("lines", help="ACAI's lines benchmark: how well do autoencoders interpolate?")
    add_lines_arguments(lines)
    from notaverage.leaderboard.command import add_arguments as add_zoo_arguments

    zoo = commands.add_parser("zoo",
                              help="train the zoo of autoencoders and score them all: leaderboard.html")
    add_zoo_arguments(zoo)


# Commands with their own module, data and options (no lab models): dispatched before torch is imported.
_STANDALONE = {"tabular": "notaverage.tabular.cli", "lines": "notaverage.lines.command",
               "zoo": "notaverage.leaderboard.command"}


def _capped(args: argparse.Namespace, option: str, cap_name: str, flag: str) -> None:
    """Lower args.<option> to its cap, with the one-line notice the README promises."""
    value, cap = getattr(args, option), CAPS[cap_name]
    if value > cap:
        print(f"note: {flag} {value} would not read on a slide; using {cap} (the cap)")
        setattr(args, option, cap)


def _data(args):
    from notaverage import lab

    return lab.load_data(args.data_dir, args.limit, args.train_seed, not args.quiet)


def _lab_models(args, data, names=("vae", "linear", "classifier")) -> dict:
    from notaverage import zoo

    trained = zoo.get_models(data, names, args.preset, args.train_seed, progress=not args.quiet)
    return {name: t.model for name, t in trained.items()}


def _tour(args) -> int:
    from notaverage import lab, zoo

    result = lab.run_tour(args.out, args.data_dir, args.limit, args.train_seed, args.preset, not args.quiet,
                          pick=args.pick)
    for trained in result["trained"].values():
        print(zoo.describe(trained))
    stats = result["samples"]
    print(f"samples: nearest training digit at median pixel distance {stats['median_distance']:.2f} "
          f"(closest {stats['min_distance']:.2f}; 0 would be a copy; a real test digit: "
          f"{stats['typical_distance']:.2f})")
    if "report" in result["files"]:
        print(f"report: {result['files']['report']}")
    separation, agreement = result["map"]["knn5_accuracy"], result["map"]["decode_agreement"]
    print(f"latent map: {result['map']['plane']}; 5-NN class accuracy in 2-D {separation['lda']:.1%} "
          f"(principal plane {separation['pca']:.1%}); a test digit's map point decodes to its class "
          f"{agreement['lda']:.1%} (principal plane {agreement['pca']:.1%})")
    print(f"tour finished in {result['seconds']:.0f} s; pictures in {args.out}/:")
    for path in result["files"].values():
        print(f"  {path}")
    print("what the report found, claim by claim:")
    for verdict in result["verdicts"]:
        print(f"  {verdict['claim']}: {verdict['text']}")
    return 0


def _train(args) -> int:
    from notaverage import zoo

    data = _data(args)
    trained = zoo.get_models(data, ("vae", "linear", "classifier"), args.preset, args.train_seed,
                             resume=args.resume, retrain=args.retrain, progress=not args.quiet)
    for model in trained.values():
        print(zoo.describe(model))
        print(f"  {model.folder}")
    return 0


def _serve(args) -> int:
    from notaverage.web.app import serve

    data = _data(args)
    return serve(data, args.host, args.port, args.preset, args.train_seed, not args.quiet)


def _blend(args) -> int:
    from notaverage import lab

    _capped(args, "images", "images", "--images")
    data = _data(args)
    models = _lab_models(args, data)
    a, b = lab.resolve_pair(args.a, args.b, data, models, args.pick)
    path, notes = lab.write_blend(models, a, b, args.out, args.images, "slerp" if args.slerp else "lerp")
    for note in notes:
        print(note)
    print(path)
    return 0


def _sample(args) -> int:
    from notaverage import lab

    if args.n > CAPS["samples"]:
        print(f"note: -n {args.n} is more than {CAPS['samples']}; drawing {CAPS['samples']} (the cap)")
        args.n = CAPS["samples"]
    data = _data(args)
    models = _lab_models(args, data)
    files, stats = lab.write_samples(models, data, [args.digit], args.n, args.out, args.pick,
                                     per_picture=CAPS["samples_per_picture"], progress=not args.quiet)
    if len(files) > 1:
        print(f"note: {args.n} samples are split into {len(files)} pictures of at most "
              f"{CAPS['samples_per_picture']}")
    print(f"{args.n} new {args.digit}s; nearest training digit at median pixel distance "
          f"{stats['median_distance']:.2f} (closest {stats['min_distance']:.2f}; a real test {args.digit} at "
          f"median {stats['typical_distance']:.2f})")
    for path in files:
        print(path)
    return 0


def _hybrid(args) -> int:
    from notaverage import lab
    from notaverage.evidence import commands

    _capped(args, "n", "hybrids", "-n")
    _capped(args, "search_steps", "search_steps", "--search-steps")
    data = _data(args)
    models = _lab_models(args, data, ("vae", "classifier", "judge"))
    a, b = lab.resolve_pair(args.a, args.b, data, models, args.pick)
    notes = [line for line in (lab.pair_line(a, b), a.note, b.note) if line]
    path, readings = commands.write_hybrid(models, data, a, b, args.out, args.n, args.search_steps,
                                           args.pick, notes)
    for line in notes:
        print(line)
    for line in commands.hybrid_lines(a, b, readings, args.search_steps):
        print(line)
    print(path)
    return 0


def _traverse(args) -> int:
    from notaverage.evidence import commands

    _capped(args, "directions", "directions", "--directions")
    _capped(args, "images", "images", "--images")
    data = _data(args)
    models = _lab_models(args, data, ("vae", "classifier"))
    path, trav = commands.write_traversals(models["vae"], data, args.out, args.directions, args.images,
                                           classifier=models["classifier"])
    for k, share in enumerate(trav.variance_ratio):
        print(f"direction {k + 1}: {share:.1%} of the code variance")
    print(f"first {len(trav.variance_ratio)} together: {trav.variance_ratio.sum():.1%}")
    print(path)
    return 0


def _report(args) -> int:
    from notaverage.evidence import EvidenceConfig, commands

    data = _data(args)
    result = commands.run_report(args.out, data, args.preset, args.train_seed, not args.quiet,
                                 EvidenceConfig(n_pairs=args.pairs, seed=args.train_seed), seeds=args.seeds,
                                 controls=args.controls)
    for verdict in result["numbers"]["verdicts"].values():
        print(f"{verdict['claim']}: {verdict['text']}")
    print(f"report written in {result['seconds']:.0f} s:")
    print(result["html"])
    print(result["json"])
    return 0


HANDLERS = {"tour": _tour, "train": _train, "serve": _serve, "blend": _blend, "sample": _sample,
            "hybrid": _hybrid, "traverse": _traverse, "report": _report, "recognize": _recognize}


def _check_out(args: argparse.Namespace) -> None:
    from notaverage.outpath import check_folder_out, check_picture_out

    if getattr(args, "out", None) is not None:
        check = check_folder_out if args.command in ("tour", "report") else check_picture_out
        args.out = check(args.out)


def _run(args: argparse.Namespace) -> int:
    if args.command in _STANDALONE:
        import importlib

        return importlib.import_module(_STANDALONE[args.command]).run(args)
    _check_out(args)  # before any slow work; heavy imports (torch) only once the arguments are valid
    return HANDLERS[args.command](args)


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
    except OSError as err:  # a full disk, an unreadable file ... (fileio names the user's path)
        where = f" {err.filename}" if err.filename else ""
        print(f"notaverage: error: cannot use{where}: {err.strerror or err}; check the path and its "
              f"permissions", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("notaverage: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
