"""Forms of the invoicing pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Regexp

from ..core.validation import longest


def _clean(value):
    """Absent or padded text as a plain string (control characters are the services' to refuse)."""
    return (value or "").strip()


class InvoiceForm(FlaskForm):
    """A sale (its receipt number or barcode) and the buyer: found by NIP, or typed."""

    receipt = StringField(_l("Receipt number"), filters=[_clean], validators=[DataRequired(_l("This field is required.")), longest(20)])
    kind = RadioField(_l("Buyer"), choices=[SelectChoice("business", _l("A business or institution (NIP)")),
                                            SelectChoice("foreign", _l("A business abroad (EU VAT or foreign tax number)")),
                                            SelectChoice("person", _l("A private person"))], default="business")
    nip = StringField(_l("NIP"), filters=[_clean], validators=[longest(20)])
    country = StringField(_l("Country (two letters, e.g. DE)"), filters=[_clean], validators=[longest(2)])
    tax_id = StringField(_l("EU VAT number or foreign tax number"), filters=[_clean], validators=[longest(50)])
    name = StringField(_l("Name, or first and last name"), filters=[_clean], validators=[longest(200)])
    address1 = StringField(_l("Street and number"), filters=[_clean], validators=[longest(160)])
    address2 = StringField(_l("Postcode and town"), filters=[_clean], validators=[longest(160)])
    email = StringField(_l("E-mail (optional)"), filters=[_clean], validators=[longest(120)])


class InvoiceSettingsForm(FlaskForm):
    series = StringField(_l("Invoice number series"), filters=[_clean], validators=[
        DataRequired(_l("This field is required.")), longest(10),
        Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and dashes only."))])
    correction_series = StringField(_l("Correction number series"), filters=[_clean], validators=[
        DataRequired(_l("This field is required.")), longest(10),
        Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and dashes only."))])
    place = StringField(_l("Place of issue"), filters=[_clean], validators=[longest(60)])
    exemption_basis = StringField(_l("Legal basis of the VAT exemption"), filters=[_clean], validators=[
        DataRequired(_l("This field is required.")), longest(200)])
    exemption_field = SelectField(_l("The exemption's basis is"), choices=[
        SelectChoice("P_19A", _l("a provision of the VAT act (P_19A)")),
        SelectChoice("P_19B", _l("a provision of the VAT directive (P_19B)")),
        SelectChoice("P_19C", _l("another legal basis (P_19C)"))], default="P_19A")
    ksef_environment = SelectField(_l("KSeF"), choices=[
        SelectChoice("off", _l("Off (invoices stay outside KSeF)")), SelectChoice("test", _l("Test environment")),
        SelectChoice("demo", _l("Demo (pre-production) environment")), SelectChoice("prod", _l("Production"))])
    ksef_token = StringField(_l("New KSeF token (leave empty to keep the saved one)"), filters=[_clean], validators=[longest(500)])
    send_consumer_invoices = BooleanField(_l("Send private persons' invoices to KSeF too"))
    offline_certificate = TextAreaField(_l("KSeF offline certificate (PEM; leave empty to keep the saved one)"),
                                        validators=[longest(10000)])
    offline_key = TextAreaField(_l("Its private key (PEM, not encrypted)"), filters=[_clean], validators=[longest(10000)])

    def validate_offline_certificate(self, field):
        if not field.data:
            return
        from cryptography import x509

        try:
            x509.load_pem_x509_certificate(field.data.encode())
        except ValueError as exc:
            raise ValidationError(_l("This is not a PEM certificate.")) from exc

    def validate_offline_key(self, field):
        if not field.data:
            if self.offline_certificate.data:
                raise ValidationError(_l("Give the certificate's private key too."))
            return
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            load_pem_private_key(field.data.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ValidationError(_l("This is not an unencrypted PEM private key.")) from exc
