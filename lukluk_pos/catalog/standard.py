"""The usual categories of a Polish charity shop, with typical prices (zł) and weights (g per item)."""

#: (name, typical price in grosze, (min, max) price guide in grosze)
STANDARD_CATEGORIES = [
    ("Odzież damska", 1500, (500, 6000)),
    ("Odzież męska", 1500, (500, 6000)),
    ("Odzież dziecięca", 800, (300, 3000)),
    ("Obuwie", 2000, (800, 8000)),
    ("Torebki i dodatki", 1200, (500, 5000)),
    ("Biżuteria", 1000, (300, 10000)),
    ("Książki", 500, (200, 3000)),
    ("Płyty i winyle", 1000, (300, 8000)),
    ("Zabawki i gry", 1000, (300, 6000)),
    ("Porcelana i szkło", 800, (200, 10000)),
    ("Dom i dekoracje", 1200, (300, 15000)),
    ("Tekstylia domowe", 1500, (500, 6000)),
    ("AGD i elektronika", 3000, (1000, 30000)),
    ("Meble", 8000, (2000, 60000)),
    ("Sport i rekreacja", 2500, (500, 20000)),
]
