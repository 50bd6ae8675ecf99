"""Write an EnergyPlus EPW file from an NREL TMY3 CSV, copying each value's text unchanged.

    python3 tmy3_to_epw.py ../../../../scenarios/data/weather/723170TYA.CSV greensboro-723170.epw

Fields without a TMY3 counterpart get the EPW missing-value codes (EnergyPlus Auxiliary Programs,
"Weather Converter Program", EPW data dictionary)."""
import csv, sys

src, dst = sys.argv[1], sys.argv[2]
with open(src, newline="") as f:
    rows = list(csv.reader(f))
usaf, name, state, tz, lat, lon, elev = rows[0][:7]
cols = {c: i for i, c in enumerate(rows[1])}
def g(r, c):
    return r[cols[c]]
out = [
    f"LOCATION,{name},{state},USA,TMY3,{usaf},{lat},{lon},{tz},{elev}",
    "DESIGN CONDITIONS,0",
    "TYPICAL/EXTREME PERIODS,0",
    "GROUND TEMPERATURES,0",
    "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
    f"COMMENTS 1,Written from NREL TMY3 {src.split('/')[-1]} by tmy3_to_epw.py (dcplan test fixture)",
    "COMMENTS 2,Values copied unchanged; pressure mbar x 100 = Pa; visibility m / 1000 = km; precipitable water cm x 10 = mm",
    "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
]
for r in rows[2:]:
    m, d, y = g(r, "Date (MM/DD/YYYY)").split("/")
    h = int(g(r, "Time (HH:MM)").split(":")[0])
    out.append(",".join([
        y, str(int(m)), str(int(d)), str(h), "60", "?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9?9?9?9?9*9*9?9?9?9",
        g(r, "Dry-bulb (C)"), g(r, "Dew-point (C)"), g(r, "RHum (%)"),
        str(int(float(g(r, "Pressure (mbar)")) * 100)),
        g(r, "ETR (W/m^2)"), g(r, "ETRN (W/m^2)"), "9999",
        g(r, "GHI (W/m^2)"), g(r, "DNI (W/m^2)"), g(r, "DHI (W/m^2)"),
        g(r, "GH illum (lx)"), g(r, "DN illum (lx)"), g(r, "DH illum (lx)"), g(r, "Zenith lum (cd/m^2)"),
        g(r, "Wdir (degrees)"), g(r, "Wspd (m/s)"),
        g(r, "TotCld (tenths)"), g(r, "OpqCld (tenths)"),
        f"{float(g(r, 'Hvis (m)')) / 1000:g}", g(r, "CeilHgt (m)"), "9", "999999999",
        f"{float(g(r, 'Pwat (cm)')) * 10:g}", g(r, "AOD (unitless)"), "999", "99",
        g(r, "Alb (unitless)"), g(r, "Lprecip depth (mm)"), g(r, "Lprecip quantity (hr)"),
    ]))
with open(dst, "w", newline="") as f:
    f.write("\r\n".join(out) + "\r\n")
