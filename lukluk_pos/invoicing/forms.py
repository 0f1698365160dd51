"""Forms of the invoicing pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Regexp

from ..core.validation import longest


class InvoiceForm(FlaskForm):
    """A sale (its receipt number or barcode) and the buyer: found by NIP, or typed."""

    receipt = StringField(_l("Receipt number"), validators=[DataRequired(_l("This field is required.")), longest(20)])
    kind = RadioField(_l("Buyer"), choices=[SelectChoice("business", _l("A business or institution (NIP)")),
                                            SelectChoice("person", _l("A private person"))], default="business")
    nip = StringField(_l("NIP"), validators=[longest(20)])
    name = StringField(_l("Name"), validators=[longest(200)])
    address1 = StringField(_l("Street and number"), validators=[longest(160)])
    address2 = StringField(_l("Postcode and town"), validators=[longest(160)])
    email = StringField(_l("E-mail (optional)"), validators=[longest(120)])


class InvoiceSettingsForm(FlaskForm):
    series = StringField(_l("Invoice number series"), validators=[
        DataRequired(_l("This field is required.")), longest(10),
        Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and dashes only."))])
    correction_series = StringField(_l("Correction number series"), validators=[
        DataRequired(_l("This field is required.")), longest(10),
        Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and dashes only."))])
    place = StringField(_l("Place of issue"), validators=[longest(60)])
    exemption_basis = StringField(_l("Legal basis of the VAT exemption"), validators=[
        DataRequired(_l("This field is required.")), longest(200)])
    ksef_environment = SelectField(_l("KSeF"), choices=[
        SelectChoice("off", _l("Off (invoices stay outside KSeF)")), SelectChoice("test", _l("Test environment")),
        SelectChoice("demo", _l("Demo (pre-production) environment")), SelectChoice("prod", _l("Production"))])
    ksef_token = StringField(_l("New KSeF token (leave empty to keep the saved one)"), validators=[longest(500)])
    send_consumer_invoices = BooleanField(_l("Send private persons' invoices to KSeF too"))
    offline_certificate = TextAreaField(_l("KSeF offline certificate (PEM; leave empty to keep the saved one)"),
                                        validators=[longest(10000)])
    offline_key = TextAreaField(_l("Its private key (PEM, not encrypted)"), validators=[longest(10000)])

    def validate_offline_certificate(self, field):
        if not field.data.strip():
            return
        from cryptography import x509

        try:
            x509.load_pem_x509_certificate(field.data.strip().encode())
        except ValueError as exc:
            raise ValidationError(_l("This is not a PEM certificate.")) from exc

    def validate_offline_key(self, field):
        if not field.data.strip():
            if self.offline_certificate.data.strip():
                raise ValidationError(_l("Give the certificate's private key too."))
            return
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            load_pem_private_key(field.data.strip().encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ValidationError(_l("This is not an unencrypted PEM private key.")) from exc
