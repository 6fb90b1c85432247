#!/usr/bin/env python3
"""Prepares the "Weather in Szeged 2006-2016" data (Kaggle data set
budincsevity/szeged-weather, file weatherHistory.csv) for mdn: a cleaned,
time-ordered table with numeric features, split into a training file and a
held-out test file. Standard library only. See docs/WEATHER.md.

    python3 tools/scripts/prepare_weather.py --input weatherHistory.csv --out-dir weather/

What it does, and why:
  * exact duplicate rows (24 in the published file) are dropped; a timestamp
    seen twice keeps its first row;
  * rows are sorted by time (the file is not in time order; `Formatted Date`
    carries a +0100/+0200 offset, so times are compared in UTC);
  * `Pressure (millibars)` = 0 and `Humidity` = 0 are sensor gaps (neither
    occurs in Szeged's climate) and are written as EMPTY cells, so that
    `mdn train/eval --drop-invalid` leaves those rows out and counts them;
  * `Loud Cover` is 0 in every row and is dropped;
  * `Precip Type` (rain / snow / the literal string `null`) is not used: the
    apparent temperature is a function of temperature, humidity and wind, and
    `null` is not a third kind of weather but a gap that falls almost entirely
    in Oct-Nov 2016, the test year (374 of its 517 rows). One-hot encoded, it
    is a category the network has barely seen in training, and it extrapolated
    wildly there (docs/WEATHER.md, first run);
  * `Wind Bearing (degrees)` is an angle: it becomes its sine and cosine, so
    that 359 and 1 degrees are neighbours;
  * the UTC hour of day and the day of the year become sine/cosine pairs
    (daily and yearly cycles without a jump at midnight or New Year);
  * the text columns `Summary` and `Daily Summary` are not used (the daily
    summary describes the whole day, including hours after the reading);
  * `Time (UTC)` is kept as ISO text for traceability; it is not numeric, so
    mdn does not use it as a feature.

Split (--split year, the default): the last calendar year in the data (UTC)
is the test set, everything before it the training set. Hourly weather is
strongly autocorrelated, so a random split would put the neighbours of each
test hour into the training set and flatter the scores; a later, unseen year
is what a forecaster faces. --split random gives a fixed-seed 80/20 split for
comparison.
"""
import argparse
import csv
import datetime
import math
import os
import random
import sys

TARGET = "Apparent Temperature (C)"

OUTPUT_COLUMNS = [
    "Time (UTC)",
    TARGET,
    "Temperature (C)",
    "Humidity",
    "Wind Speed (km/h)",
    "Wind Bearing sin",
    "Wind Bearing cos",
    "Visibility (km)",
    "Pressure (millibars)",
    "Hour sin",
    "Hour cos",
    "Day of Year sin",
    "Day of Year cos",
]

REQUIRED = [
    "Formatted Date", "Precip Type", "Temperature (C)", TARGET, "Humidity", "Wind Speed (km/h)",
    "Wind Bearing (degrees)", "Visibility (km)", "Loud Cover", "Pressure (millibars)",
]


def parse_time(text):
    # e.g. "2006-04-01 00:00:00.000 +0200"
    return datetime.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S.%f %z").astimezone(datetime.timezone.utc)


def number(text):
    return repr(float(text))


def clean_rows(path, counts):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            sys.exit(f"{path}: not the Szeged weather file (missing columns: {', '.join(missing)})")
        seen_rows, seen_times, out = set(), set(), []
        for line, row in enumerate(reader, start=2):
            counts["read"] += 1
            key = tuple(row[c] for c in reader.fieldnames)
            if key in seen_rows:
                counts["exact duplicates dropped"] += 1
                continue
            seen_rows.add(key)
            try:
                when = parse_time(row["Formatted Date"])
            except ValueError:
                sys.exit(f"{path}: line {line}: cannot parse Formatted Date '{row['Formatted Date']}'")
            if when in seen_times:
                counts["repeated timestamps dropped"] += 1
                continue
            seen_times.add(when)
            if float(row["Loud Cover"]) != 0.0:
                counts["nonzero Loud Cover (column dropped anyway)"] += 1

            pressure = float(row["Pressure (millibars)"])
            humidity = float(row["Humidity"])
            if pressure == 0.0:
                counts["Pressure 0 -> empty"] += 1
            if humidity == 0.0:
                counts["Humidity 0 -> empty"] += 1
            if row["Precip Type"].strip() == "null":
                counts["Precip Type null (column not used)"] += 1
            bearing = math.radians(float(row["Wind Bearing (degrees)"]))
            hour = when.hour + when.minute / 60.0
            # Fraction of the year (0 at 1 January 00:00 UTC), leap years included.
            start = datetime.datetime(when.year, 1, 1, tzinfo=datetime.timezone.utc)
            days_in_year = 366 if when.year % 4 == 0 and (when.year % 100 != 0 or when.year % 400 == 0) else 365
            year_phase = 2 * math.pi * (when - start).total_seconds() / (days_in_year * 86400.0)
            day_phase = 2 * math.pi * hour / 24.0
            out.append((when, [
                when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                number(row[TARGET]),
                number(row["Temperature (C)"]),
                "" if humidity == 0.0 else number(row["Humidity"]),
                number(row["Wind Speed (km/h)"]),
                f"{math.sin(bearing):.6f}",
                f"{math.cos(bearing):.6f}",
                number(row["Visibility (km)"]),
                "" if pressure == 0.0 else number(row["Pressure (millibars)"]),
                f"{math.sin(day_phase):.6f}",
                f"{math.cos(day_phase):.6f}",
                f"{math.sin(year_phase):.6f}",
                f"{math.cos(year_phase):.6f}",
            ]))
    out.sort(key=lambda item: item[0])
    return out


def write(path, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(OUTPUT_COLUMNS)
        for _, values in rows:
            w.writerow(values)
    os.replace(tmp, path)  # no half-written file under the final name


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="weatherHistory.csv from the Kaggle data set")
    p.add_argument("--out-dir", required=True, help="directory for weather_train.csv / weather_test.csv")
    p.add_argument("--split", choices=["year", "random"], default="year",
                   help="year: the last calendar year is the test set (default); random: fixed-seed 80/20")
    p.add_argument("--test-fraction", type=float, default=0.2, help="test share for --split random")
    p.add_argument("--seed", type=int, default=0, help="seed for --split random")
    a = p.parse_args()

    counts = {k: 0 for k in ["read", "exact duplicates dropped", "repeated timestamps dropped",
                             "nonzero Loud Cover (column dropped anyway)", "Pressure 0 -> empty",
                             "Humidity 0 -> empty", "Precip Type null (column not used)"]}
    rows = clean_rows(a.input, counts)
    if not rows:
        sys.exit(f"{a.input}: no data rows")
    if a.split == "year":
        test_year = rows[-1][0].year
        train = [r for r in rows if r[0].year < test_year]
        test = [r for r in rows if r[0].year == test_year]
        split_text = f"test = calendar year {test_year} (UTC), train = {rows[0][0].year}-{test_year - 1}"
    else:
        if not 0.0 < a.test_fraction < 1.0:
            sys.exit("--test-fraction must be in (0, 1)")
        order = list(range(len(rows)))
        random.Random(a.seed).shuffle(order)
        n_test = round(a.test_fraction * len(rows))
        test_idx = set(order[:n_test])
        train = [r for i, r in enumerate(rows) if i not in test_idx]
        test = [r for i, r in enumerate(rows) if i in test_idx]
        split_text = f"fixed-seed random split, seed {a.seed}, test fraction {a.test_fraction}"

    os.makedirs(a.out_dir, exist_ok=True)
    write(os.path.join(a.out_dir, "weather_train.csv"), train)
    write(os.path.join(a.out_dir, "weather_test.csv"), test)
    for k, v in counts.items():
        print(f"{k}: {v}", file=sys.stderr)
    print(f"kept {len(rows)} rows; {split_text}: {len(train)} training rows, {len(test)} test rows "
          f"-> {a.out_dir}/weather_train.csv, {a.out_dir}/weather_test.csv", file=sys.stderr)


if __name__ == "__main__":
    main()
