"""QR symbols and PDF label sheets: the only qrcode and fpdf2 imports."""
