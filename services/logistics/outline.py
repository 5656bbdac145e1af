"""A coarse, hand-made outline of mainland Norway for the map's overview inset.

Not survey data: about 80 points written down for this project from the
positions of well-known towns, capes and border crossings, good to a few
tens of kilometres. Islands are merged into the coast (Lofoten and
Vesterålen make one bulge). It only tells the reader where the region
panels lie; the detail panels draw sites on a graticule, not on this line.
No map data was copied to make it.
"""

from __future__ import annotations

# (lat, lon) clockwise from the Swedish border at the Iddefjord.
NORWAY_OUTLINE: tuple[tuple[float, float], ...] = (
    (59.08, 11.30),  # Halden / Svinesund
    (59.21, 10.95),  # Fredrikstad
    (59.44, 10.66),  # Moss
    (59.91, 10.75),  # Oslo
    (59.42, 10.48),  # Horten
    (59.05, 10.05),  # Larvik
    (58.87, 9.41),  # Kragerø
    (58.62, 9.05),  # Tvedestrand
    (58.46, 8.77),  # Arendal
    (58.34, 8.59),  # Grimstad
    (58.15, 8.00),  # Kristiansand
    (58.03, 7.45),  # Mandal
    (57.98, 7.05),  # Lindesnes
    (58.09, 6.80),  # Farsund
    (58.30, 6.25),  # Flekkefjord coast
    (58.45, 5.99),  # Egersund
    (58.80, 5.55),  # Jæren
    (58.97, 5.73),  # Stavanger
    (59.41, 5.27),  # Haugesund
    (59.80, 5.15),  # Bømlo / Stord
    (60.39, 5.10),  # Bergen coast
    (60.80, 4.90),  # Fedje
    (61.20, 4.95),  # Solund
    (61.60, 5.03),  # Florø
    (62.18, 5.15),  # Stad
    (62.47, 6.15),  # Ålesund
    (62.74, 7.00),  # Molde coast
    (63.11, 7.73),  # Kristiansund
    (63.65, 8.70),  # Hitra / Frøya
    (63.72, 9.60),  # Ørland
    (64.20, 10.10),  # Osen
    (64.86, 11.20),  # Rørvik
    (65.47, 12.21),  # Brønnøysund
    (66.01, 12.63),  # Sandnessjøen
    (66.55, 13.05),  # Træna coast
    (67.28, 14.40),  # Bodø
    (67.88, 12.98),  # Lofoten, Å
    (68.23, 14.57),  # Svolvær
    (68.70, 15.00),  # Vesterålen
    (69.31, 16.12),  # Andenes
    (69.35, 17.20),  # Senja
    (69.65, 18.95),  # Tromsø
    (70.05, 20.00),  # Karlsøy
    (70.25, 21.60),  # Loppa
    (70.66, 23.68),  # Hammerfest
    (71.17, 25.78),  # Nordkapp
    (71.13, 27.65),  # Kinnarodden
    (70.65, 29.90),  # Varanger peninsula
    (70.37, 31.10),  # Vardø
    (70.07, 29.75),  # Vadsø
    (70.10, 28.70),  # Varangerbotn
    (69.73, 30.05),  # Kirkenes
    (69.79, 30.82),  # Grense Jakobselv
    (69.45, 30.45),  # Pasvik, Russian border
    (69.06, 28.93),  # three-country cairn NO/FI/RU
    (69.60, 28.50),  # Finnish border north
    (70.08, 27.90),  # Nuorgam (Tana)
    (69.91, 27.03),  # Utsjoki (Tana)
    (69.40, 25.84),  # Karigasniemi
    (68.90, 25.00),  # Finnmarksvidda border
    (68.60, 24.00),  # Kautokeino border
    (68.70, 22.40),  # Finnish border west
    (69.06, 20.55),  # three-country cairn NO/SE/FI
    (68.43, 18.13),  # Riksgränsen
    (67.95, 17.85),  # Swedish border
    (67.13, 16.35),  # Sulitjelma border
    (66.10, 14.60),  # Umbukta
    (65.60, 14.50),  # Hattfjelldal border
    (65.00, 13.90),  # Børgefjell
    (64.40, 13.90),  # Lierne border
    (63.32, 12.10),  # Storlien
    (62.60, 12.15),  # Røros border
    (62.00, 12.25),  # Femunden
    (61.30, 12.60),  # Trysil border
    (60.60, 12.55),  # Finnskogen
    (59.90, 12.50),  # Eda / Kongsvinger border
    (59.50, 11.75),  # Ørje
)
