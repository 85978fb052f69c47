"""One worked example per country and business line, computed by hand from INVOICING.md.

Each test writes its arithmetic out. "r/(100+r)" is the tax contained in an inclusive price;
"per rate" means the gross of each rate is summed and rounded once, and the last line of the
rate takes the difference so the lines add up.
"""

from __future__ import annotations

from conftest import build_event, charges, items, render


def line_figures(invoice: dict) -> list[tuple[str, str, str, str]]:
    return [(l["tax_rate"], l["net"], l["tax"], l["gross"]) for l in invoice["lines"]]


def totals(invoice: dict) -> tuple[str, str, str, str, str]:
    t = invoice["totals"]
    return t["net"], t["tax"], t["gross"], t["tip"], t["payable"]


def summary(invoice: dict) -> list[tuple[str, str, str, str]]:
    return [(s["label"], s["rate"], s["net"], s["tax"]) for s in invoice["tax_summary"]]


# --- US: exclusive, per line, half-up ----------------------------------------------------------


def test_us_rides_are_not_taxed():
    event = build_event("US", "rides", charges=charges(
        ("base_fare", "2.55"), ("distance", "7.20"), ("time", "3.10"),
        ("booking_fee", "2.75"), ("tolls", "6.12"), ("tip", "4.00")))
    invoice, _ = render(event)
    # net = 2.55 + 7.20 + 3.10 + 2.75 + 6.12 = 21.72, no tax; payable = 21.72 + 4.00 tip
    assert invoice["document_type"] == "receipt"
    assert invoice["number"] == "US-RIDES-2026-00000101"
    assert all(rate == "0" and tax == "0.00" for rate, _, tax, _ in line_figures(invoice))
    assert totals(invoice) == ("21.72", "0.00", "21.72", "4.00", "25.72")
    assert summary(invoice) == [("Sales tax", "0", "21.72", "0.00")]


def test_us_eats_new_york_rounds_each_line():
    event = build_event("US", "eats", charges=charges(("delivery_fee", "2.99"), ("service_fee", "3.15")))
    event["order"]["items"] = items(("Burger", 2, "12.99", "prepared_food"), ("Fries", 1, "4.49", "prepared_food"))
    invoice, _ = render(event)
    # NY 8.875 % added per line:
    #   25.98 × 0.08875 = 2.305725 → 2.31     4.49 × 0.08875 = 0.3984875 → 0.40
    #    2.99 × 0.08875 = 0.2653625 → 0.27    3.15 × 0.08875 = 0.2795625 → 0.28
    # tax 3.26 (one rounding on 36.61 would give 3.25); gross 36.61 + 3.26 = 39.87
    assert line_figures(invoice) == [
        ("8.875", "25.98", "2.31", "28.29"), ("8.875", "4.49", "0.40", "4.89"),
        ("8.875", "2.99", "0.27", "3.26"), ("8.875", "3.15", "0.28", "3.43")]
    assert totals(invoice) == ("36.61", "3.26", "39.87", "0.00", "39.87")
    assert invoice["document_type"] == "receipt"


def test_us_eats_rate_follows_the_customer_state():
    for state, rate, tax in (("TX", "8.25", "0.83"), ("CA", "8.625", "0.86"), ("OR", "0", "0.00")):
        event = build_event("US", "eats")
        event["customer"]["state"] = state
        event["order"]["items"] = items(("Salad", 1, "10.00", "prepared_food"))
        invoice, _ = render(event)
        # 10.00 × 8.25 % = 0.825 → 0.83 (half-up); 10.00 × 8.625 % = 0.8625 → 0.86; other states 0
        assert line_figures(invoice) == [(rate, "10.00", tax, f"{10 + float(tax):.2f}")]


# --- GB: inclusive, per line, half-up ----------------------------------------------------------


def test_gb_rides_per_line_half_up():
    event = build_event("GB", "rides", charges=charges(
        ("base_fare", "3.00"), ("distance", "8.40"), ("time", "2.35"), ("surge", "1.50"), ("booking_fee", "0.99")))
    invoice, _ = render(event)
    # 20/120 = 1/6 of each gross: 0.50, 1.40, 0.391666 → 0.39, 0.25, 0.165 → 0.17 (tie, half-up)
    assert [tax for _, _, tax, _ in line_figures(invoice)] == ["0.50", "1.40", "0.39", "0.25", "0.17"]
    # gross 16.24, tax 2.71, net 13.53; at most 250.00 and no buyer tax id: simplified
    assert totals(invoice) == ("13.53", "2.71", "16.24", "0.00", "16.24")
    assert invoice["document_type"] == "simplified_invoice"
    assert invoice["legal_notes"] == ["Simplified VAT invoice"]


def test_gb_eats_grocery_is_zero_rated():
    event = build_event("GB", "eats", charges=charges(("delivery_fee", "2.49")))
    event["order"]["items"] = items(
        ("Sandwich", 2, "4.25", "prepared_food"), ("Milk", 1, "1.45", "grocery"), ("Wine", 1, "9.99", "alcohol"))
    event["customer"]["tax_id"] = "GB123456789"
    invoice, _ = render(event)
    # 8.50/6 = 1.41666 → 1.42; milk 0 %; 9.99/6 = 1.665 → 1.67; 2.49/6 = 0.415 → 0.42
    assert line_figures(invoice) == [
        ("20", "7.08", "1.42", "8.50"), ("0", "1.45", "0.00", "1.45"),
        ("20", "8.32", "1.67", "9.99"), ("20", "2.07", "0.42", "2.49")]
    # 20 %: net 7.08 + 8.32 + 2.07 = 17.47, tax 3.51; 0 %: net 1.45
    assert summary(invoice) == [("VAT", "20", "17.47", "3.51"), ("VAT", "0", "1.45", "0.00")]
    assert totals(invoice) == ("18.92", "3.51", "22.43", "0.00", "22.43")
    assert invoice["document_type"] == "invoice"  # the buyer gave a tax id


# --- DE: inclusive, per rate on totals, half-up -------------------------------------------------


def test_de_short_ride_is_at_the_reduced_rate():
    event = build_event("DE", "rides", charges=charges(
        ("base_fare", "4.30"), ("distance", "14.88"), ("time", "3.20"), ("booking_fee", "1.00")))
    invoice, _ = render(event)
    # 12.4 km < 50: ride charges at 7 %: 22.38 × 7/107 = 1.46411 → 1.46
    #   lines 4.30 × 7/107 = 0.28131 → 0.28, 14.88 × 7/107 = 0.97346 → 0.97, last 1.46 − 1.25 = 0.21
    # booking fee at 19 %: 1.00 × 19/119 = 0.15966 → 0.16
    assert line_figures(invoice) == [
        ("7", "4.02", "0.28", "4.30"), ("7", "13.91", "0.97", "14.88"),
        ("7", "2.99", "0.21", "3.20"), ("19", "0.84", "0.16", "1.00")]
    assert summary(invoice) == [("USt.", "19", "0.84", "0.16"), ("USt.", "7", "20.92", "1.46")]
    assert totals(invoice) == ("21.76", "1.62", "23.38", "0.00", "23.38")
    assert invoice["document_type"] == "simplified_invoice"


def test_de_ride_of_50_km_is_at_the_standard_rate():
    short = build_event("DE", "rides", charges=charges(("base_fare", "4.30"), ("distance", "60.00")))
    short["trip"]["distance_km"] = "49.999"
    long = build_event("DE", "rides", charges=charges(("base_fare", "4.30"), ("distance", "60.00")))
    long["trip"]["distance_km"] = "50"
    # 64.30 × 7/107 = 4.20654 → 4.21; 64.30 × 19/119 = 10.26638 → 10.27
    assert totals(render(short)[0])[1] == "4.21"
    assert totals(render(long)[0])[1] == "10.27"


def test_de_eats_food_at_7_fees_at_19():
    event = build_event("DE", "eats", charges=charges(("delivery_fee", "2.99"), ("service_fee", "1.50"), ("tip", "3.00")))
    event["order"]["items"] = items(
        ("Pizza Margherita", 2, "9.50", "prepared_food"), ("Tiramisu", 1, "5.90", "prepared_food"),
        ("Mineralwasser", 1, "2.49", "grocery"))
    invoice, html = render(event)
    # 7 %: 19.00 + 5.90 + 2.49 = 27.39; × 7/107 = 1.79186 → 1.79
    #   lines 19.00 × 7/107 = 1.24299 → 1.24, 5.90 × 7/107 = 0.38598 → 0.39, last 1.79 − 1.63 = 0.16
    # 19 %: 2.99 + 1.50 = 4.49; × 19/119 = 0.71689 → 0.72
    #   lines 2.99 × 19/119 = 0.47739 → 0.48, last 0.72 − 0.48 = 0.24
    assert [tax for _, _, tax, _ in line_figures(invoice)] == ["1.24", "0.39", "0.16", "0.48", "0.24"]
    assert summary(invoice) == [("USt.", "19", "3.77", "0.72"), ("USt.", "7", "25.60", "1.79")]
    # gross 31.88, tip 3.00 outside tax, payable 34.88
    assert totals(invoice) == ("29.37", "2.51", "31.88", "3.00", "34.88")
    assert "31,88\xa0€" in html and "Trinkgeld" in html and "14.03.2026" in html


# --- FR: inclusive, per rate on totals, half-up -------------------------------------------------


def test_fr_rides_ten_percent_fees_twenty():
    event = build_event("FR", "rides", charges=charges(
        ("base_fare", "2.00"), ("distance", "10.50"), ("time", "4.10"), ("booking_fee", "1.20")))
    invoice, html = render(event)
    # 10 %: 16.60 × 10/110 = 1.50909 → 1.51; 20 %: 1.20 / 6 = 0.20
    assert summary(invoice) == [("TVA", "20", "1.00", "0.20"), ("TVA", "10", "15.09", "1.51")]
    assert totals(invoice) == ("16.09", "1.71", "17.80", "0.00", "17.80")
    assert invoice["document_type"] == "invoice"  # France has no simplified form here
    assert "17,80\xa0€" in html and "Facture" in html


def test_fr_eats_three_rates():
    event = build_event("FR", "eats", charges=charges(("delivery_fee", "1.99")))
    event["order"]["items"] = items(
        ("Croissant", 3, "1.20", "prepared_food"), ("Quiche", 1, "8.90", "prepared_food"), ("Jus", 1, "3.35", "grocery"))
    invoice, _ = render(event)
    # 10 %: 3.60 + 8.90 = 12.50 × 10/110 = 1.13636 → 1.14
    # 5.5 %: 3.35 × 5.5/105.5 = 0.17464 → 0.17;  20 %: 1.99 / 6 = 0.33166 → 0.33
    assert summary(invoice) == [
        ("TVA", "20", "1.66", "0.33"), ("TVA", "10", "11.36", "1.14"), ("TVA", "5.5", "3.18", "0.17")]
    assert totals(invoice) == ("16.20", "1.64", "17.84", "0.00", "17.84")


# --- NL: inclusive, per rate on totals, half-even -----------------------------------------------


def test_nl_rides_nine_percent():
    event = build_event("NL", "rides", charges=charges(
        ("base_fare", "3.50"), ("distance", "11.25"), ("time", "2.80"), ("booking_fee", "0.75")))
    invoice, _ = render(event)
    # 9 %: 17.55 × 9/109 = 1.44908 → 1.45; lines 0.28899 → 0.29, 0.92890 → 0.93, last 1.45 − 1.22 = 0.23
    # 21 %: 0.75 × 21/121 = 0.13017 → 0.13
    assert [tax for _, _, tax, _ in line_figures(invoice)] == ["0.29", "0.93", "0.23", "0.13"]
    assert totals(invoice) == ("16.72", "1.58", "18.30", "0.00", "18.30")


def test_nl_eats_food_nine_alcohol_twenty_one():
    event = build_event("NL", "eats", charges=charges(("service_fee", "0.99")))
    event["order"]["items"] = items(
        ("Poke bowl", 1, "13.95", "prepared_food"), ("Kombucha", 2, "3.25", "grocery"), ("Bier", 1, "2.95", "alcohol"))
    invoice, _ = render(event)
    # 9 %: 13.95 + 6.50 = 20.45 × 9/109 = 1.68853 → 1.69; 21 %: 2.95 + 0.99 = 3.94 × 21/121 = 0.68380 → 0.68
    assert summary(invoice) == [("btw", "21", "3.26", "0.68"), ("btw", "9", "18.76", "1.69")]
    assert totals(invoice) == ("22.02", "2.37", "24.39", "0.00", "24.39")


# --- CH: inclusive, per rate on totals, half-up, payable to 0.05 --------------------------------


def test_ch_ride_payable_is_cash_rounded():
    event = build_event("CH", "rides", charges=charges(("base_fare", "6.00"), ("distance", "18.37"), ("time", "5.40")))
    invoice, html = render(event)
    # rides at the standard 8.1 %: 29.77 × 8.1/108.1 = 2.23068 → 2.23
    # payable 29.77 → nearest 0.05: 29.77 / 0.05 = 595.4 → 595 × 0.05 = 29.75
    assert totals(invoice) == ("27.54", "2.23", "29.77", "0.00", "29.75")
    assert "CHF\xa029.75" in html


def test_ch_eats_food_rate_after_2024():
    event = build_event("CH", "eats", charges=charges(("delivery_fee", "4.90"), ("tip", "2.00")))
    event["order"]["items"] = items(("Rösti", 1, "18.90", "prepared_food"), ("Mineral", 1, "3.20", "grocery"))
    invoice, _ = render(event)
    # 2.6 %: 22.10 × 2.6/102.6 = 0.56004 → 0.56; 8.1 %: 4.90 × 8.1/108.1 = 0.36716 → 0.37
    assert summary(invoice) == [("MWST", "8.1", "4.53", "0.37"), ("MWST", "2.6", "21.54", "0.56")]
    # gross 27.00 + tip 2.00 = 29.00, already a multiple of 0.05
    assert totals(invoice) == ("26.07", "0.93", "27.00", "2.00", "29.00")


# --- SE: inclusive, per rate on totals, half-up -------------------------------------------------


def test_se_rides_six_percent():
    event = build_event("SE", "rides", charges=charges(
        ("base_fare", "45.00"), ("distance", "96.50"), ("time", "38.00"), ("booking_fee", "12.00")))
    invoice, html = render(event)
    # 6 %: 179.50 × 6/106 = 10.16037 → 10.16; 25 %: 12.00 × 25/125 = 2.40
    assert summary(invoice) == [("Moms", "25", "9.60", "2.40"), ("Moms", "6", "169.34", "10.16")]
    assert totals(invoice) == ("178.94", "12.56", "191.50", "0.00", "191.50")
    assert "191,50\xa0kr" in html


def test_se_eats_food_twelve_alcohol_and_fees_twenty_five():
    event = build_event("SE", "eats", charges=charges(("delivery_fee", "29.00")))
    event["order"]["items"] = items(
        ("Köttbullar", 1, "129.00", "prepared_food"), ("Lingonsylt", 1, "39.90", "grocery"), ("Öl", 2, "45.00", "alcohol"))
    invoice, _ = render(event)
    # 12 %: 168.90 × 12/112 = 18.09642 → 18.10; 25 %: 90.00 + 29.00 = 119.00 / 5 = 23.80
    assert summary(invoice) == [("Moms", "25", "95.20", "23.80"), ("Moms", "12", "150.80", "18.10")]
    assert totals(invoice) == ("246.00", "41.90", "287.90", "0.00", "287.90")


# --- JP: inclusive, per rate on totals, truncated, no decimals -----------------------------------


def test_jp_rides_truncate():
    event = build_event("JP", "rides", charges=charges(("base_fare", "500"), ("distance", "1230"), ("time", "345")))
    invoice, html = render(event)
    # 10 %: 2075 × 10/110 = 188.63 → 188 (truncated; half-up would say 189)
    assert totals(invoice) == ("1887", "188", "2075", "0", "2075")
    assert "￥2,075" in html


def test_jp_eats_food_eight_alcohol_ten():
    event = build_event("JP", "eats", charges=charges(("delivery_fee", "300")))
    event["order"]["items"] = items(("弁当", 2, "780", "prepared_food"), ("ビール", 1, "330", "alcohol"))
    invoice, _ = render(event)
    # 8 %: 1560 × 8/108 = 115.55 → 115; 10 %: 330 + 300 = 630 × 10/110 = 57.27 → 57
    assert summary(invoice) == [("消費税", "10", "573", "57"), ("消費税", "8", "1445", "115")]
    assert totals(invoice) == ("2018", "172", "2190", "0", "2190")


# --- IN: exclusive, per line, half-up; CGST + SGST or IGST -------------------------------------


def test_in_rides_same_state_splits_cgst_sgst():
    event = build_event("IN", "rides", charges=charges(
        ("base_fare", "50.00"), ("distance", "123.40"), ("time", "18.60"), ("booking_fee", "15.00")))
    invoice, _ = render(event)
    # each half rounded on its own: 50.00 × 2.5 % = 1.25; 123.40 × 2.5 % = 3.085 → 3.09;
    # 18.60 × 2.5 % = 0.465 → 0.47; 15.00 × 2.5 % = 0.375 → 0.38; line tax = 2 × half
    assert [tax for _, _, tax, _ in line_figures(invoice)] == ["2.50", "6.18", "0.94", "0.76"]
    assert summary(invoice) == [("CGST", "2.5", "207.00", "5.19"), ("SGST", "2.5", "207.00", "5.19")]
    assert totals(invoice) == ("207.00", "10.38", "217.38", "0.00", "217.38")
    assert invoice["legal_notes"] == ["Place of supply: MH"]


def test_in_rides_other_state_is_igst():
    event = build_event("IN", "rides", charges=charges(
        ("base_fare", "50.00"), ("distance", "123.40"), ("time", "18.60"), ("booking_fee", "15.00")))
    event["customer"]["state"] = "KA"
    invoice, html = render(event)
    # 5 % per line: 2.50, 6.17, 0.93, 0.75 (the split rounds 3 paise higher)
    assert [tax for _, _, tax, _ in line_figures(invoice)] == ["2.50", "6.17", "0.93", "0.75"]
    assert summary(invoice) == [("IGST", "5", "207.00", "10.35")]
    assert totals(invoice) == ("207.00", "10.35", "217.35", "0.00", "217.35")
    assert "₹217.35" in html


def test_in_eats_lakh_grouping():
    event = build_event("IN", "eats", charges=charges(("delivery_fee", "35.00")))
    event["order"]["items"] = items(("Biryani", 2, "249.00", "prepared_food"), ("Lassi", 1, "79.00", "prepared_food"),
                                    ("Thali", 400, "299.00", "prepared_food"))
    invoice, html = render(event)
    # halves: 498.00 × 2.5 % = 12.45; 79.00 × 2.5 % = 1.975 → 1.98; 119600.00 × 2.5 % = 2990.00; 35.00 → 0.875 → 0.88
    assert [tax for _, _, tax, _ in line_figures(invoice)] == ["24.90", "3.96", "5980.00", "1.76"]
    # net 498 + 79 + 119600 + 35 = 120212.00; tax 24.90 + 3.96 + 5980.00 + 1.76 = 6010.62; gross 126222.62
    assert totals(invoice) == ("120212.00", "6010.62", "126222.62", "0.00", "126222.62")
    assert "₹1,26,222.62" in html


# --- MX: inclusive, per line, half-up ----------------------------------------------------------


def test_mx_rides_receipt_without_tax_id():
    event = build_event("MX", "rides", charges=charges(("base_fare", "25.00"), ("distance", "48.30"), ("time", "12.70")))
    invoice, _ = render(event)
    # 16/116 of each: 3.44827 → 3.45; 6.66206 → 6.66; 1.75172 → 1.75
    assert [tax for _, _, tax, _ in line_figures(invoice)] == ["3.45", "6.66", "1.75"]
    assert totals(invoice) == ("74.14", "11.86", "86.00", "0.00", "86.00")
    assert invoice["document_type"] == "receipt"


def test_mx_eats_invoice_with_tax_id():
    event = build_event("MX", "eats", charges=charges(("delivery_fee", "19.00")))
    event["order"]["items"] = items(("Tacos", 3, "22.00", "prepared_food"), ("Horchata", 1, "35.00", "grocery"))
    event["customer"]["tax_id"] = "XAXX010101000"
    invoice, _ = render(event)
    # 66.00 × 16/116 = 9.10344 → 9.10; 35.00 → 4.82758 → 4.83; 19.00 → 2.62068 → 2.62
    assert [tax for _, _, tax, _ in line_figures(invoice)] == ["9.10", "4.83", "2.62"]
    assert totals(invoice) == ("103.45", "16.55", "120.00", "0.00", "120.00")
    assert invoice["document_type"] == "invoice"
