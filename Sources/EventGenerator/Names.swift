/// Names, addresses and items: Latin and non-Latin scripts, emoji, HTML-significant characters,
/// and now and then one at the 300-character limit.
enum Names {
    static let given = [
        "Anna", "Jürgen", "Zoë", "François", "Łukasz", "Søren", "Ana María", "Mia", "Noah", "Olu", "Siobhán",
        "Ærøskøbing", "José", "Ngọc", "İlkay",
    ]
    static let family = ["Müller", "Dubois", "de Vries", "Johansson", "García", "O'Brien", "Smith", "Nguyễn", "Öztürk"]
    static let nonLatin = [
        "山田 太郎", "佐藤 花子", "Иван Петров", "محمد الأحمد", "דוד כהן", "राहुल शर्मा", "Γιώργος Παπαδόπουλος",
        "김민준", "王伟", "ชยพล ศรีสุข",
    ]
    static let awkward = [
        "<script>alert(1)</script>", "Tom & Jerry", "\"Quoted\" O'Name", "Ben</p><h1>big", "👩🏽‍💻 Dev Person",
        "e\u{301}mile combining", "Zero\u{200B}Width", "RTL \u{202E}txet", "1\u{202F}000 Narrow",
    ]

    static func person(country: Country, random: inout SeededGenerator) -> String {
        if random.chance(0.04) { return long(&random) }
        if random.chance(0.05) { return random.pick(awkward) }
        if random.chance(0.2) { return random.pick(nonLatin) }
        return "\(random.pick(given)) \(random.pick(family))"
    }

    static func company(_ random: inout SeededGenerator) -> String {
        if random.chance(0.03) { return random.pick(awkward) + " GmbH" }
        let stems = [
            "Fleet", "Rapid", "Blue Line", "Taxi Müller", "東京交通", "Ride & Co", "Pizzeria Da Mario", "Café Léon",
        ]
        let forms = ["GmbH", "Ltd", "SAS", "B.V.", "AB", "株式会社", "Pvt Ltd", "S.A. de C.V.", "LLC", "AG"]
        return "\(random.pick(stems)) \(random.pick(forms))"
    }

    static func restaurant(_ random: inout SeededGenerator) -> String {
        if random.chance(0.03) { return random.pick(awkward) }
        return random.pick([
            "Pizzeria Da Mario", "Sushi 銀座", "Curry House", "Le Petit Bistro", "Taquería El Güero", "Smörgås",
            "Burger & Fries", "Dim Sum 点心",
        ])
    }

    static func item(_ random: inout SeededGenerator) -> String {
        if random.chance(0.01) { return long(&random) }
        if random.chance(0.02) { return random.pick(awkward) }
        return random.pick([
            "Pizza Margherita", "Tiramisu", "Mineralwasser 0,75 l", "弁当", "ビール", "Pad Thai", "Croissant",
            "Köttbullar", "Biryani", "Tacos al pastor", "Red wine", "Salad", "Falafel wrap", "Crème brûlée",
        ])
    }

    static func address(_ random: inout SeededGenerator) -> String {
        if random.chance(0.01) { return long(&random) }
        return "\(random.pick(["Hauptstraße", "Rue de Rivoli", "Main St", "渋谷", "Calle 5 de Mayo", "MG Road"])) "
            + "\(random.int(1...250))"
    }

    static let refundReasons = [
        "Driver did not arrive", "Order arrived cold", "Fahrer kam nicht", "Commande incomplète", "Charged twice",
        "<b>wrong</b> items", "注文が届かなかった",
    ]

    /// 250 to 300 characters of mixed scripts.
    static func long(_ random: inout SeededGenerator) -> String {
        var text = ""
        let pieces = ["Wolfeschlegelsteinhausenbergerdorff ", "山田", "ÆØÅ", "—", "𝄞", "Ω", "ab"]
        let target = random.int(250...300)
        while text.unicodeScalars.count < target {
            text += random.pick(pieces)
        }
        return String(String.UnicodeScalarView(text.unicodeScalars.prefix(target)))
    }
}
