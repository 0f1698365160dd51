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

#: The name each standard category's goods carry on a fiscal receipt (the law wants names that identify
#: the goods), and whether the law wants them on a fiscal device from the first sale (exemptions
#: regulation of 17.12.2024: electronics, recorded media, precious-metal articles).
FISCAL = {
    "Odzież damska": ("Odzież damska używana", False),
    "Odzież męska": ("Odzież męska używana", False),
    "Odzież dziecięca": ("Odzież dziecięca używana", False),
    "Obuwie": ("Obuwie używane", False),
    "Torebki i dodatki": ("Torebki i dodatki używane", False),
    "Biżuteria": ("Biżuteria używana", True),
    "Książki": ("Książki używane", False),
    "Płyty i winyle": ("Płyty CD/winylowe używane", True),
    "Zabawki i gry": ("Zabawki i gry używane", False),
    "Porcelana i szkło": ("Porcelana i szkło używane", False),
    "Dom i dekoracje": ("Dekoracje domowe używane", False),
    "Tekstylia domowe": ("Tekstylia domowe używane", False),
    "AGD i elektronika": ("Sprzęt AGD/RTV używany", True),
    "Meble": ("Meble używane", False),
    "Sport i rekreacja": ("Sprzęt sportowy używany", False),
}


#: The standard categories the law wants on a fiscal receipt from the first sale (no exemption).
FISCAL_FIRST = [name for name, (_fiscal_name, first_sale) in FISCAL.items() if first_sale]
