using Pleura.Dicom.Codecs;

namespace Pleura.Dicom;

/// <summary>Decodes a frame of a file's pixel data to stored values, choosing the codec by transfer syntax.</summary>
public static class PixelDataDecoder
{
    public static StoredFrame DecodeFrame(DicomFile file, int frame = 0)
    {
        try
        {
            return Decode(file, frame);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or InvalidOperationException)
        {
            // A codec bug on corrupt data must still come out as the one exception type, with the reason.
            throw new DicomReadException(file.Path, $"corrupt pixel data ({e.Message})", e);
        }
    }

    static StoredFrame Decode(DicomFile file, int frame)
    {
        var format = PixelFormat.Of(file.Dataset);
        if (frame < 0 || frame >= format.NumberOfFrames)
            throw new DicomReadException(file.Path, $"frame {frame + 1} asked for, the image has {format.NumberOfFrames}");
        var pixels = file.Dataset.Get(DicomTag.PixelData)
            ?? throw new DicomReadException(file.Path, "no Pixel Data (7FE0,0010)");
        var syntax = file.TransferSyntax;

        if (syntax.Pixels == PixelEncoding.Native)
        {
            if (pixels.Fragments is not null)
                throw new DicomReadException(file.Path, $"encapsulated pixel data in the uncompressed syntax {syntax}");
            return new StoredFrame(format.Columns, format.Rows, NativeCodec.Decode(pixels.Value.Span, format, frame, file.Path), format);
        }
        if (pixels.Fragments is not { } fragments)
            throw new DicomReadException(file.Path, $"native pixel data in the compressed syntax {syntax}");
        var frames = fragments.Frames(format.NumberOfFrames, why => new DicomReadException(file.Path, why));
        var data = frames[frame];
        var values = syntax.Pixels switch
        {
            PixelEncoding.Rle => RleCodec.Decode(data, format, file.Path),
            PixelEncoding.Jpeg or PixelEncoding.JpegLossless => JpegCodec.Decode(data, format, file.Path),
            PixelEncoding.JpegLs => JpegLsCodec.Decode(data, format, file.Path),
            PixelEncoding.Jpeg2000 => Jpeg2000Codec.Decode(data, format, file.Path),
            _ => throw new DicomReadException(file.Path, $"no decoder for {syntax}"),
        };
        return new StoredFrame(format.Columns, format.Rows, values, format);
    }

    /// <summary>Reads the file and decodes its first frame.</summary>
    public static StoredFrame DecodeFrame(string path) => DecodeFrame(DicomFileReader.Read(path));
}
